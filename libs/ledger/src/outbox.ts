import { z } from 'zod';

import {
  Alert,
  AlertKind,
  AlertStatus,
  ShiftSummary,
  type AlertSeverity,
  type Deadlines,
} from '@app/contracts';

/*
 * A facility's outbox holds the state of each revision to publish, written by the scripts in the same
 * step as the state change (lua/includes/publish.lua, lua/enqueueSummary-1.lua). The messages themselves,
 * SPEC sections 4 and 5, are built here from that state and parsed with their zod schemas before they are
 * sent: the contract, the alert text and the severity policy live in TypeScript only.
 */

/** A message waiting on a facility's outbox: an alert revision or a summary revision. */
export type OutboxEntry = {
  seq: number;
  /** the Kafka message key: the alertId, or "<facilityId>|<shiftId>" */
  key: string;
  /** when the condition the message reports became true (ms) */
  conditionAt: number;
} & (
  | { kind: 'alert'; message: Alert; value: string }
  | { kind: 'summary'; message: ShiftSummary; value: string }
  /** a record no message can be built from (a defect, reported by the publisher and skipped) */
  | { kind: 'invalid'; problem: string; value: string }
);

const Count = z.number().int().nonnegative();
const Millis = z.string().regex(/^\d+$/).transform(Number);

/** An alert revision's state, as publish.lua records it ('' stands for none). */
const AlertRecord = z.object({
  items: z.array(z.string()),
  kind: AlertKind.exclude(['CONSUMER_LAG']),
  status: AlertStatus,
  shift: z.string(),
  from: z.string(),
  to: z.string(),
  n: Count,
  nExpress: Count,
  open: Count,
  orphans: Count,
  startsAt: Millis,
  updatedAt: Millis,
  endsAt: z.union([z.literal(''), Millis]),
  rev: z.number().int().min(1),
  ackBy: z.string(),
});
type AlertRecord = z.infer<typeof AlertRecord>;

const SummaryRecord = z.object({ rev: z.number().int().min(1), summary: z.record(z.unknown()) });

/** Severity by kind; an open-hand-off kind is critical when an express item is among its items. */
const SEVERITY: Partial<Record<AlertKind, AlertSeverity>> = {
  FEEDBACK_OVERDUE: 'critical',
  UNCONSENTED_DELIVERY: 'critical',
  ORPHAN_CLOSURE: 'warning',
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The alert's text for a person: what is wrong, where, and how many items (SPEC section 4). */
function alertText(r: AlertRecord, deadlines: Deadlines): string {
  const { n, nExpress, to } = r;
  if (r.kind === 'SHIFT_UNBALANCED') {
    if (r.status === 'RESOLVED') return `Shift ${r.shift} at ${r.from} now balances`;
    return `Shift ${r.shift} at ${r.from} closed unbalanced: ${plural(r.open, 'open hand-off')}, ${plural(r.orphans, 'orphan')}`;
  }
  if (r.status === 'RESOLVED') {
    if (r.kind === 'UNCONSENTED_DELIVERY') return `Unconsented deliveries on ${to} resolved`;
    if (r.kind === 'ORPHAN_CLOSURE') return `Every record at ${to} now has its hand-off`;
    return `Every item handed to ${to} is now accounted for`;
  }
  const what =
    nExpress === n
      ? plural(n, 'express item')
      : plural(n, 'item') + (nExpress > 0 ? ` (${nExpress} express)` : '');
  const has = n === 1 ? 'has' : 'have';
  if (r.kind === 'FEEDBACK_OVERDUE' || r.kind === 'RECEIPT_OVERDUE') {
    const feedback = r.kind === 'FEEDBACK_OVERDUE';
    const minutes = (feedback ? deadlines.feedback : deadlines.receipt).EXPRESS;
    const after = nExpress === n && minutes !== undefined ? `after ${minutes} min` : 'past their deadline';
    return `${what} handed to ${to} ${has} no ${feedback ? 'delivery feedback' : 'receipt'} ${after}`;
  }
  if (r.kind === 'ORPHAN_CLOSURE') {
    return `${plural(n, 'record')} at ${to} ${has} no hand-off${r.from === '' ? '' : ` from ${r.from}`}`;
  }
  return `${what} on ${to} put in a locker or pickup point without the recipient's consent`;
}

const iso = (ms: number) => new Date(ms).toISOString();
const orNull = (text: string) => (text === '' ? null : text);

/** The alert revision (SPEC section 4) of a recorded state, parsed with its schema. */
function alertOf(facilityId: string, alertId: string, r: AlertRecord, deadlines: Deadlines): Alert {
  return Alert.parse({
    alertId,
    kind: r.kind,
    status: r.status,
    severity: SEVERITY[r.kind] ?? (r.nExpress > 0 ? 'critical' : 'warning'),
    facilityId,
    shiftId: r.shift,
    from: orNull(r.from),
    to: orNull(r.to),
    itemCount: r.n,
    items: r.items,
    startsAt: iso(r.startsAt),
    updatedAt: iso(r.updatedAt),
    endsAt: r.endsAt === '' ? null : iso(r.endsAt),
    revision: r.rev,
    acknowledgedBy: orNull(r.ackBy),
    text: alertText(r, deadlines),
  });
}

/** "<A|S>\n<key>\n<condition ms>\n<JSON record>" as a message ready to send, or why it is not one. */
export function outboxEntryOf(
  facilityId: string,
  member: string,
  seq: number,
  deadlines: Deadlines,
): OutboxEntry {
  const a = member.indexOf('\n');
  const b = member.indexOf('\n', a + 1);
  const c = member.indexOf('\n', b + 1);
  const key = member.slice(a + 1, b);
  const conditionAt = Number(member.slice(b + 1, c));
  const raw = member.slice(c + 1);
  try {
    const json: unknown = JSON.parse(raw);
    if (member.slice(0, a) === 'A') {
      // an entry an earlier version wrote as the message itself
      const message =
        typeof json === 'object' && json !== null && 'alertId' in json
          ? Alert.parse(json)
          : alertOf(facilityId, key, AlertRecord.parse(json), deadlines);
      return { seq, key, conditionAt, kind: 'alert', message, value: JSON.stringify(message) };
    }
    const message =
      typeof json === 'object' && json !== null && 'facilityId' in json
        ? ShiftSummary.parse(json)
        : (() => {
            const record = SummaryRecord.parse(json);
            return ShiftSummary.parse({ ...record.summary, revision: record.rev });
          })();
    return { seq, key, conditionAt, kind: 'summary', message, value: JSON.stringify(message) };
  } catch (error) {
    const problem =
      error instanceof z.ZodError
        ? error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
        : String(error);
    return { seq, key, conditionAt, kind: 'invalid', problem, value: raw };
  }
}
