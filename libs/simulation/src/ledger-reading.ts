import type { FacilityCalendar } from '@app/calendar';
import {
  FEEDBACK_COUNTER,
  deadlineOf,
  mailClassOfItem,
  zeroCounters,
  ownerFacilityOf,
  parseScanMessage,
  type Counters,
  type DeadLetterReason,
  type Deadlines,
  type MailClass,
  type ScanLimits,
} from '@app/contracts';

import type { ShiftTruth } from './ground-truth';
import { DEFAULT_DEADLINES } from './simulation-options';

interface Scan {
  closure: boolean;
  t: number;
  eventId: string;
  shiftKey: string;
  mailClass: MailClass;
  to: string;
  counter: keyof Counters;
  consent: boolean;
}

interface ShiftReading {
  facilityId: string;
  shiftId: string;
  startMs: number;
  endMs: number;
  totals: Counters;
  byClass: Record<MailClass, Counters>;
  bySegment: Map<string, Counters & { to: string }>;
  openItems: string[];
  orphanItems: string[];
  unconsented: number;
}

/** The system's defaults (SPEC section 2). */
export const DEFAULT_SCAN_LIMITS: ScanLimits = {
  maxEventBytes: 65_536,
  maxClockSkewMs: 300_000,
  dedupDays: 7,
};

/**
 * The ledger a set of messages must give, read from the messages alone by SPEC section 3 as
 * libs/ledger implements it: each hand-off history (item, from, to; for a route: item, route) read in
 * event-time order, a repeated eventId a duplicate where its copy falls, every orphan wait passed.
 * Independent of the generator, it is the truth of any subset of a day in any order, e.g. of what a
 * simulator sent before it was stopped. Holds every valid scan until `shifts()`.
 */
export class LedgerReading {
  private readonly histories = new Map<string, Scan[]>();
  private readonly seen = new Set<string>();
  private readonly shiftTimes = new Map<string, { startMs: number; endMs: number }>();
  private readonly duplicates: Array<{ shiftKey: string; mailClass: MailClass; to: string }> = [];
  readonly deadLetters = new Map<DeadLetterReason, number>();
  messages = 0;

  constructor(
    private readonly calendar: FacilityCalendar,
    private readonly limits: ScanLimits = DEFAULT_SCAN_LIMITS,
    private readonly deadlines: Deadlines = DEFAULT_DEADLINES,
  ) {}

  /** Reads one message value as the system receives it at `nowMs`. */
  add(value: string | Buffer, nowMs: number): void {
    this.messages++;
    const parsed = parseScanMessage(
      typeof value === 'string' ? Buffer.from(value) : value,
      this.limits,
      nowMs,
    );
    if (!parsed.ok) {
      this.deadLetters.set(parsed.reason, (this.deadLetters.get(parsed.reason) ?? 0) + 1);
      return;
    }
    const event = parsed.event;
    const to = event.type === 'FEEDBACK' ? event.route : event.to;
    const owner = ownerFacilityOf(event.type === 'FEEDBACK' ? event.route : event.from);
    const shift = this.calendar.shiftAt(owner, parsed.occurredAtMs);
    const shiftKey = `${owner}|${shift.shiftId}`;
    if (!this.shiftTimes.has(shiftKey))
      this.shiftTimes.set(shiftKey, { startMs: shift.startMs, endMs: shift.endMs });
    const mailClass =
      event.type === 'HANDOVER'
        ? (event.mailClass ?? mailClassOfItem(event.itemId))
        : mailClassOfItem(event.itemId);
    if (this.seen.has(event.eventId)) {
      this.duplicates.push({ shiftKey, mailClass, to });
      return;
    }
    this.seen.add(event.eventId);
    // hand-offs to a route are kept by (item, route): a FEEDBACK does not name who handed it over
    const history =
      event.type === 'FEEDBACK' || to.includes('/')
        ? `${event.itemId}|>|${to}`
        : `${event.itemId}|${event.from}|${to}`;
    let scans = this.histories.get(history);
    if (scans === undefined) this.histories.set(history, (scans = []));
    scans.push({
      closure: event.type !== 'HANDOVER',
      t: parsed.occurredAtMs,
      eventId: event.eventId,
      shiftKey,
      mailClass,
      to,
      counter: event.type === 'FEEDBACK' ? FEEDBACK_COUNTER[event.outcome] : 'received',
      consent: event.type === 'FEEDBACK' && event.consent === true,
    });
  }

  /** Every (owner facility, shift) with a count, by `<facilityId>|<shiftId>` in key order. */
  shifts(): Map<string, ShiftTruth> {
    const readings = new Map<string, ShiftReading>();
    const shiftOf = (key: string): ShiftReading => {
      let r = readings.get(key);
      if (r === undefined) {
        const bar = key.indexOf('|');
        const times = this.shiftTimes.get(key) as { startMs: number; endMs: number };
        r = {
          facilityId: key.slice(0, bar),
          shiftId: key.slice(bar + 1),
          ...times,
          totals: zeroCounters(),
          byClass: { EXPRESS: zeroCounters(), PARCEL: zeroCounters(), LETTER: zeroCounters() },
          bySegment: new Map(),
          openItems: [],
          orphanItems: [],
          unconsented: 0,
        };
        readings.set(key, r);
      }
      return r;
    };
    const bump = (key: string, mailClass: MailClass, to: string, counter: keyof Counters) => {
      const r = shiftOf(key);
      r.totals[counter]++;
      r.byClass[mailClass][counter]++;
      let segment = r.bySegment.get(to);
      if (segment === undefined) r.bySegment.set(to, (segment = { to, ...zeroCounters() }));
      segment[counter]++;
    };

    for (const d of this.duplicates) bump(d.shiftKey, d.mailClass, d.to, 'duplicates');
    for (const [history, scans] of this.histories) {
      const itemId = history.slice(0, history.indexOf('|'));
      scans.sort(
        (a, b) =>
          a.t - b.t || (a.closure === b.closure ? (a.eventId < b.eventId ? -1 : 1) : a.closure ? 1 : -1),
      );
      let opened: Scan | null = null;
      let lastClosure: number | null = null;
      let afterClosure = false;
      for (const scan of scans) {
        if (!scan.closure) {
          if (opened !== null || (lastClosure !== null && scan.t <= lastClosure)) {
            bump(scan.shiftKey, scan.mailClass, scan.to, 'duplicates');
          } else {
            opened = scan;
            afterClosure = false;
            bump(scan.shiftKey, scan.mailClass, scan.to, 'handedOut');
          }
        } else if (opened !== null) {
          bump(opened.shiftKey, opened.mailClass, scan.to, scan.counter);
          const deadline = deadlineOf(this.deadlines, scan.to, opened.mailClass);
          if (deadline !== undefined && scan.t > opened.t + deadline * 60_000)
            bump(opened.shiftKey, opened.mailClass, scan.to, 'closedLate');
          if (
            opened.mailClass === 'EXPRESS' &&
            (scan.counter === 'locker' || scan.counter === 'pickupPoint') &&
            !scan.consent
          ) {
            shiftOf(opened.shiftKey).unconsented++;
          }
          lastClosure = scan.t;
          afterClosure = true;
          opened = null;
        } else if (afterClosure) {
          bump(scan.shiftKey, mailClassOfItem(itemId), scan.to, 'duplicates');
        } else {
          bump(scan.shiftKey, scan.mailClass, scan.to, 'orphans');
          shiftOf(scan.shiftKey).orphanItems.push(itemId);
        }
      }
      if (opened !== null) {
        bump(opened.shiftKey, opened.mailClass, opened.to, 'open');
        shiftOf(opened.shiftKey).openItems.push(itemId);
      }
    }

    const out = new Map<string, ShiftTruth>();
    for (const key of [...readings.keys()].sort()) {
      const r = readings.get(key) as ShiftReading;
      out.set(key, {
        facilityId: r.facilityId,
        shiftId: r.shiftId,
        startMs: r.startMs,
        endMs: r.endMs,
        balanced: r.totals.open === 0 && r.totals.orphans === 0,
        totals: r.totals,
        byClass: r.byClass,
        bySegment: [...r.bySegment.values()].sort((a, b) => a.to.localeCompare(b.to)),
        openItems: r.openItems.sort(),
        orphanItems: r.orphanItems.sort(),
        violations: { unconsentedDelivery: r.unconsented },
      });
    }
    return out;
  }
}
