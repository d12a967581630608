import { z } from 'zod';

import { FacilityId, RouteId, SegmentId, isFacilityId, isRouteId, isSegmentId } from './segment';

export const MailClass = z.enum(['EXPRESS', 'PARCEL', 'LETTER']);
export type MailClass = z.infer<typeof MailClass>;

/** What a courier reports for an item on a route. */
export const FeedbackOutcome = z.enum(['DELIVERED', 'LOCKER', 'PICKUP_POINT', 'RETURNED']);
export type FeedbackOutcome = z.infer<typeof FeedbackOutcome>;

/**
 * Lone UTF-16 surrogates (`"\ud800"` in JSON) are valid JSON but not text: no UTF-8 encoding exists for
 * them, and the ledger's store (Redis's JSON decoder) refuses them. In unicode mode `\p{Cs}` matches a
 * surrogate only when it is not half of a pair.
 */
const LONE_SURROGATE = /\p{Cs}/u;

const SURROGATE_FIRST = 0xd800;
const SURROGATE_LAST = 0xdfff;

/** Whether the text holds no lone surrogate; per field of every event, so the regex runs only if there is a surrogate. */
export function isWellFormedText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= SURROGATE_FIRST && c <= SURROGATE_LAST) return !LONE_SURROGATE.test(text);
  }
  return true;
}

/** A string field that holds well-formed Unicode text. */
function text() {
  return z.string().refine(isWellFormedText, 'holds a lone UTF-16 surrogate (not well-formed Unicode)');
}

// Unknown extra fields are allowed and stripped (zod's default for z.object).
const scanFields = {
  eventId: z.string().min(1).max(128).pipe(text()),
  // A plain string here: the S10 check is a separate step with its own dead-letter reason (BAD_ITEM_ID).
  itemId: text(),
  facilityId: FacilityId,
  occurredAt: z
    .string()
    .datetime({ offset: true })
    .refine((text) => Number.isFinite(Date.parse(text)), 'is not a usable instant'),
  operatorId: text().optional(),
};

/** The upstream segment scans an item out to the downstream segment: opens a hand-off. */
export const HandoverEvent = z.object({
  ...scanFields,
  type: z.literal('HANDOVER'),
  from: SegmentId,
  to: SegmentId,
  mailClass: MailClass.optional(),
});
export type HandoverEvent = z.infer<typeof HandoverEvent>;

/** The downstream facility confirms it received the item: closes the hand-off (itemId, from, to). */
export const ReceiptEvent = z.object({
  ...scanFields,
  type: z.literal('RECEIPT'),
  from: SegmentId,
  to: SegmentId,
});
export type ReceiptEvent = z.infer<typeof ReceiptEvent>;

/** What happened to an item on a route: closes the hand-off of the item whose `to` is that route. */
export const FeedbackEvent = z.object({
  ...scanFields,
  type: z.literal('FEEDBACK'),
  route: RouteId,
  outcome: FeedbackOutcome,
  consent: z.boolean().optional(),
});
export type FeedbackEvent = z.infer<typeof FeedbackEvent>;

/** One scan on `postal.scan-events` (SPEC section 2). A hand-off never goes from a segment to itself. */
export const ScanEvent = z
  .discriminatedUnion('type', [HandoverEvent, ReceiptEvent, FeedbackEvent])
  .superRefine((event, ctx) => {
    if (event.type !== 'FEEDBACK' && event.from === event.to) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['to'], message: 'must differ from "from"' });
    }
  });
export type ScanEvent = z.infer<typeof ScanEvent>;

export type ScanEventType = ScanEvent['type'];
/** The two events that close a hand-off. */
export type ClosureEvent = ReceiptEvent | FeedbackEvent;

/*
 * The hot path: a hand-written mirror of ScanEvent for the events that are valid, about ten times
 * faster than zod. It is deliberately conservative: it returns undefined for anything it is not sure
 * about (including valid but unusual spellings such as a "+0800" offset), and the caller then runs
 * ScanEvent itself, which stays the definition and produces the issues. Whatever it accepts, zod
 * accepts with an equal result: parse-scan.spec.ts checks that on many thousands of inputs.
 */

const FEEDBACK_OUTCOMES: ReadonlySet<unknown> = new Set(FeedbackOutcome.options);
const MAIL_CLASSES: ReadonlySet<unknown> = new Set(MailClass.options);

/** Returns the stripped event if `json` is certainly a valid ScanEvent, otherwise undefined. */
export function acceptValidScanEvent(json: Record<string, unknown>): ScanEvent | undefined {
  const { eventId, itemId, facilityId, occurredAt, operatorId, type } = json;
  if (typeof eventId !== 'string' || eventId.length < 1 || eventId.length > 128) return undefined;
  if (!isWellFormedText(eventId)) return undefined;
  if (typeof itemId !== 'string' || !isWellFormedText(itemId)) return undefined;
  if (typeof facilityId !== 'string' || !isFacilityId(facilityId)) return undefined;
  if (typeof occurredAt !== 'string' || !isPlainRfc3339(occurredAt)) return undefined;
  if (operatorId !== undefined && (typeof operatorId !== 'string' || !isWellFormedText(operatorId)))
    return undefined;

  // Object literals rather than spreads: spreading costs more than all the checks together.
  if (type === 'HANDOVER' || type === 'RECEIPT') {
    const { from, to, mailClass } = json;
    if (typeof from !== 'string' || typeof to !== 'string' || from === to) return undefined;
    if (!isSegmentId(from) || !isSegmentId(to)) return undefined;
    if (type === 'RECEIPT') {
      const receipt: ReceiptEvent = { eventId, itemId, facilityId, occurredAt, type, from, to };
      if (operatorId !== undefined) receipt.operatorId = operatorId;
      return receipt;
    }
    if (mailClass !== undefined && !MAIL_CLASSES.has(mailClass)) return undefined;
    const handover: HandoverEvent = { eventId, itemId, facilityId, occurredAt, type, from, to };
    if (operatorId !== undefined) handover.operatorId = operatorId;
    if (mailClass !== undefined) handover.mailClass = mailClass as MailClass;
    return handover;
  }
  if (type === 'FEEDBACK') {
    const { route, outcome, consent } = json;
    if (typeof route !== 'string' || !isRouteId(route)) return undefined;
    if (!FEEDBACK_OUTCOMES.has(outcome)) return undefined;
    if (consent !== undefined && typeof consent !== 'boolean') return undefined;
    const feedback: FeedbackEvent = {
      eventId,
      itemId,
      facilityId,
      occurredAt,
      type,
      route,
      outcome: outcome as FeedbackOutcome,
    };
    if (operatorId !== undefined) feedback.operatorId = operatorId;
    if (consent !== undefined) feedback.consent = consent;
    return feedback;
  }
  return undefined;
}

const C_0 = 48;
const C_9 = 57;

function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const c = text.charCodeAt(i);
    if (c < C_0 || c > C_9) return -1;
    value = value * 10 + (c - C_0);
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)` with real calendar values: a strict subset of zod's datetime. */
function isPlainRfc3339(text: string): boolean {
  const n = text.length;
  if (n < 20 || n > 64) return false;
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':')
    return false;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  let i = 19;
  if (text[i] === '.') {
    const start = ++i;
    while (i < n && text.charCodeAt(i) >= C_0 && text.charCodeAt(i) <= C_9) i++;
    if (i === start) return false;
  }
  if (i === n - 1) return text[i] === 'Z';
  if (i !== n - 6 || (text[i] !== '+' && text[i] !== '-') || text[i + 3] !== ':') return false;
  const offsetHour = digitsAt(text, i + 1, 2);
  const offsetMinute = digitsAt(text, i + 4, 2);
  return offsetHour >= 0 && offsetHour <= 23 && offsetMinute >= 0 && offsetMinute <= 59;
}

const DAY_MS = 86_400_000;

/** Days from 1970-01-01 to a proleptic Gregorian date, any year (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** `Date.parse(text)`: from the digits for the plain spelling (instantOfPlainRfc3339), else by Date.parse. */
export function instantOfDateTime(text: string): number {
  return isPlainRfc3339(text) ? instantOfPlainRfc3339(text) : Date.parse(text);
}

/**
 * `Date.parse(text)` for a text that isPlainRfc3339 accepts (an occurredAt that acceptValidScanEvent
 * let through), per event: computed from the digits, five times faster than the date parser, for at
 * most millisecond precision; finer fractions go to Date.parse. scan-event-fast-path.spec.ts checks
 * that both agree.
 */
export function instantOfPlainRfc3339(text: string): number {
  const n = text.length;
  let i = 19;
  let ms = 0;
  if (text[i] === '.') {
    while (++i < n && text.charCodeAt(i) >= C_0 && text.charCodeAt(i) <= C_9);
    const fractionDigits = i - 20;
    if (fractionDigits > 3) return Date.parse(text);
    ms = digitsAt(text, 20, fractionDigits) * (fractionDigits === 1 ? 100 : fractionDigits === 2 ? 10 : 1);
  }
  let offsetMinutes = 0;
  if (text[i] !== 'Z') {
    offsetMinutes = digitsAt(text, i + 1, 2) * 60 + digitsAt(text, i + 4, 2);
    if (text[i] === '-') offsetMinutes = -offsetMinutes;
  }
  return (
    daysFromCivil(digitsAt(text, 0, 4), digitsAt(text, 5, 2), digitsAt(text, 8, 2)) * DAY_MS +
    digitsAt(text, 11, 2) * 3_600_000 +
    (digitsAt(text, 14, 2) - offsetMinutes) * 60_000 +
    digitsAt(text, 17, 2) * 1000 +
    ms
  );
}
