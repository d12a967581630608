import { FacilityCalendar } from '@app/calendar';
import {
  mailClassOfItem,
  ownerFacilityOf,
  parseScanMessage,
  type LedgerCounters,
  type MailClass,
  type ScanEvent,
} from '@app/contracts';

import { diffShift, type ReportedShift } from './compare-shift';
import { shuffled } from './delivery-order';
import { zeroCounters } from './ground-truth';
import { generatePostalDay, type DayMessage, type PostalDay } from './postal-day';

/*
 * An independent check of the truth: the generator counts it from its own decisions; here the same
 * day is read back from its messages alone, by SPEC section 3 as libs/ledger implements it (each
 * hand-off history read in event-time order, re-sent copies found by eventId, every orphan wait
 * passed). Both must agree on every shift.
 */

interface Scan {
  kind: 'H' | 'C';
  t: number;
  id: string;
  owner: string;
  shiftKey: string;
  mailClass: MailClass;
  from: string;
  to: string;
  counter: keyof LedgerCounters;
  consent: boolean;
}

interface Reading extends ReportedShift {
  byClass: Record<string, LedgerCounters>;
  openItems: string[];
  orphanItems: string[];
}

const COUNTER_OF = {
  DELIVERED: 'delivered',
  LOCKER: 'locker',
  PICKUP_POINT: 'pickupPoint',
  RETURNED: 'returned',
} as const;

function readLedger(day: PostalDay, messages: readonly DayMessage[]): Map<string, Reading> {
  const calendar = FacilityCalendar.fromConfig(day.calendar);
  const shifts = new Map<string, Reading>();
  const shiftOf = (key: string): Reading => {
    let r = shifts.get(key);
    if (r === undefined) {
      r = {
        totals: zeroCounters(),
        byClass: {},
        bySegment: [],
        openItems: [],
        orphanItems: [],
        violations: { unconsentedDelivery: 0 },
      };
      shifts.set(key, r);
    }
    return r;
  };
  const bump = (key: string, mailClass: MailClass, to: string, counter: keyof LedgerCounters) => {
    const r = shiftOf(key);
    r.totals[counter]++;
    (r.byClass[mailClass] ??= zeroCounters())[counter]++;
    let segment = r.bySegment.find((s) => s.to === to);
    if (segment === undefined)
      (r.bySegment as Array<LedgerCounters & { to: string }>).push((segment = { to, ...zeroCounters() }));
    segment[counter]++;
  };

  const histories = new Map<string, Scan[]>();
  const seen = new Set<string>();
  for (const message of messages) {
    const parsed = parseScanMessage(
      Buffer.from(message.value),
      { maxEventBytes: 65_536, maxClockSkewMs: 300_000, dedupDays: 7 },
      day.endMs,
    );
    if (!parsed.ok) continue;
    const event: ScanEvent = parsed.event;
    const to = event.type === 'FEEDBACK' ? event.route : event.to;
    const owner = ownerFacilityOf(event.type === 'FEEDBACK' ? event.route : event.from);
    const shiftKey = `${owner}|${calendar.shiftAt(owner, parsed.occurredAtMs).shiftId}`;
    const mailClass =
      event.type === 'HANDOVER'
        ? (event.mailClass ?? mailClassOfItem(event.itemId))
        : mailClassOfItem(event.itemId);
    if (seen.has(event.eventId)) {
      bump(shiftKey, mailClass, to, 'duplicates');
      continue;
    }
    seen.add(event.eventId);
    const history = to.includes('/')
      ? `${event.itemId}|>|${to}`
      : `${event.itemId}|${(event as { from: string }).from}|${to}`;
    const scans = histories.get(history) ?? [];
    histories.set(history, scans);
    scans.push({
      kind: event.type === 'HANDOVER' ? 'H' : 'C',
      t: parsed.occurredAtMs,
      id: event.eventId,
      owner,
      shiftKey,
      mailClass,
      from: event.type === 'FEEDBACK' ? '' : event.from,
      to,
      counter: event.type === 'FEEDBACK' ? COUNTER_OF[event.outcome] : 'received',
      consent: event.type === 'FEEDBACK' && event.consent === true,
    });
  }

  for (const [history, scans] of histories) {
    const itemId = history.slice(0, 13);
    scans.sort((a, b) => a.t - b.t || (a.kind === b.kind ? (a.id < b.id ? -1 : 1) : a.kind === 'H' ? -1 : 1));
    let opened: Scan | null = null;
    let lastClosure: number | null = null;
    let afterClosure = false;
    for (const scan of scans) {
      if (scan.kind === 'H') {
        if (opened !== null || (lastClosure !== null && scan.t <= lastClosure)) {
          bump(scan.shiftKey, scan.mailClass, scan.to, 'duplicates');
        } else {
          opened = scan;
          afterClosure = false;
          bump(scan.shiftKey, scan.mailClass, scan.to, 'handedOut');
        }
      } else if (opened !== null) {
        bump(opened.shiftKey, opened.mailClass, scan.to, scan.counter);
        if (
          opened.mailClass === 'EXPRESS' &&
          (scan.counter === 'locker' || scan.counter === 'pickupPoint') &&
          !scan.consent
        ) {
          shiftOf(opened.shiftKey).violations.unconsentedDelivery++;
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
  return shifts;
}

function expectTruthToMatchReading(day: PostalDay, messages: readonly DayMessage[]): void {
  const reading = readLedger(day, messages);
  expect([...reading.keys()].sort()).toEqual([...day.truth.shifts.keys()]);
  const differences = [...day.truth.shifts.values()].flatMap((truth) =>
    diffShift(truth, reading.get(`${truth.facilityId}|${truth.shiftId}`) as Reading),
  );
  expect(differences).toEqual([]);
}

describe('the ground truth', () => {
  const faults = {
    lostReceipt: 0.08,
    missingFeedback: 0.08,
    orphanClosure: 0.06,
    unconsentedExpress: 0.3,
    doubleScan: 0.08,
    doubleClosure: 0.06,
    resent: 0.08,
    invalidJson: 0.01,
    schemaError: 0.01,
    badItemId: 0.01,
  };

  it.each([1, 2, 3])('agrees with an event-time reading of the messages of the day (seed %i)', (seed) => {
    const day = generatePostalDay({
      seed,
      items: 3_000,
      faults,
      mix: {
        takenOutAgain: 1,
        outcomes: { DELIVERED: 0.5, LOCKER: 0.15, PICKUP_POINT: 0.1, RETURNED: 0.25 },
        reclassified: 0.1,
      },
      network: { centres: 2, stationsPerCentre: 2, routesPerStation: 2 },
    });
    expectTruthToMatchReading(day, day.messages);
  });

  it('holds for the messages in any order within the shuffle window', () => {
    const day = generatePostalDay({
      seed: 4,
      items: 2_000,
      faults,
      network: { centres: 1, stationsPerCentre: 2, routesPerStation: 2 },
    });
    expectTruthToMatchReading(day, shuffled(day, 99, { windowMs: 25 * 60_000 }));
    expectTruthToMatchReading(day, [...day.messages].reverse());
  });

  it('puts every class and the segments with counts in each shift, sorted as the ledger sorts them', () => {
    const day = generatePostalDay({ seed: 5, items: 1_000 });
    for (const shift of day.truth.shifts.values()) {
      expect(Object.keys(shift.byClass).sort()).toEqual(['EXPRESS', 'LETTER', 'PARCEL']);
      const order = shift.bySegment.map((s) => s.to);
      expect(order).toEqual([...order].sort((a, b) => a.localeCompare(b)));
      expect(shift.bySegment.every((s) => Object.values(s).some((v) => typeof v === 'number' && v > 0))).toBe(
        true,
      );
      expect(shift.balanced).toBe(shift.totals.open === 0 && shift.totals.orphans === 0);
      expect(shift.openItems).toEqual([...shift.openItems].sort());
    }
  });
});
