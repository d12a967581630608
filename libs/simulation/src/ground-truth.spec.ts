import { FacilityCalendar } from '@app/calendar';

import { diffShift } from './compare-shift';
import { shuffled } from './delivery-order';
import { LedgerReading } from './ledger-reading';
import type { ShiftTruth } from './ground-truth';
import { generatePostalDay, type DayMessage, type PostalDay } from './postal-day';

/*
 * An independent check of the truth: the generator counts it from its own decisions; LedgerReading
 * reads the same day back from its messages alone, by SPEC section 3 as libs/ledger implements it
 * (each hand-off history read in event-time order, re-sent copies found by eventId, every orphan wait
 * passed). Both must agree on every shift.
 */

function readLedger(day: PostalDay, messages: readonly DayMessage[]): LedgerReading {
  const reading = new LedgerReading(FacilityCalendar.fromConfig(day.calendar));
  for (const message of messages) reading.add(message.value, day.endMs);
  return reading;
}

function expectTruthToMatchReading(day: PostalDay, messages: readonly DayMessage[]): void {
  const reading = readLedger(day, messages);
  const shifts = reading.shifts();
  expect([...shifts.keys()]).toEqual([...day.truth.shifts.keys()]);
  const differences = [...day.truth.shifts.values()].flatMap((truth) =>
    diffShift(truth, shifts.get(`${truth.facilityId}|${truth.shiftId}`) as ShiftTruth),
  );
  expect(differences).toEqual([]);
  expect(Object.fromEntries(reading.deadLetters)).toEqual(
    Object.fromEntries(Object.entries(day.truth.deadLetters).filter(([, n]) => n > 0)),
  );
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

  it('names each injected fault on the message that carries it, as often as the tally counts it', () => {
    const day = generatePostalDay({
      seed: 6,
      items: 3_000,
      faults,
      network: { centres: 1, stationsPerCentre: 2, routesPerStation: 2 },
    });
    const count = (fault: string) => day.messages.filter((m) => m.fault === fault).length;
    const { faults: tally } = day.truth.tally;
    expect(count('LOST_RECEIPT')).toBe(tally.lostReceipt);
    expect(count('MISSING_FEEDBACK')).toBe(tally.missingFeedback);
    expect(count('ORPHAN_CLOSURE')).toBe(tally.orphanClosure);
    expect(count('UNCONSENTED_DELIVERY')).toBe(tally.unconsentedExpress);
    expect(count('DOUBLE_SCAN')).toBe(tally.doubleScan);
    expect(count('DOUBLE_CLOSURE')).toBe(tally.doubleClosure);
    expect(count('RESENT')).toBe(tally.resent);
    expect(count('BAD_MESSAGE')).toBe(Object.values(day.truth.deadLetters).reduce((a, b) => a + b, 0));
    expect(
      tally.lostReceipt * tally.missingFeedback * tally.orphanClosure * tally.doubleScan,
    ).toBeGreaterThan(0);
    const lost = new Set(
      day.truth.alerts.openHandOffs.filter((o) => o.cause !== 'NOT_YET').map((o) => o.itemId),
    );
    for (const m of day.messages.filter((m) => m.fault === 'LOST_RECEIPT' || m.fault === 'MISSING_FEEDBACK'))
      expect(lost.has(m.itemId)).toBe(true);
    for (const m of day.messages)
      if (m.deadLetter === null) expect(m.value).toContain(`"itemId":"${m.itemId}"`);
  });

  it('counts the shifts in the calendar the system reads, when one is given', () => {
    const own = generatePostalDay({ seed: 7, items: 200 });
    const theirs = generatePostalDay({
      seed: 7,
      items: 200,
      calendar: { defaults: own.calendar.defaults, facilities: [] },
    });
    expect(theirs.messages.map((m) => m.value)).toEqual(own.messages.map((m) => m.value));
    const stationShifts = (day: PostalDay) =>
      new Set(
        [...day.truth.shifts.values()]
          .filter((s) => s.facilityId.includes('-DS'))
          .map((s) => s.shiftId.slice(11)),
      );
    expect([...stationShifts(own)].sort()).toEqual(['AM', 'PM']);
    expect([...stationShifts(theirs)].every((code) => ['E', 'L', 'N'].includes(code))).toBe(true);
  });
});
