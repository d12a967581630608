import fc from 'fast-check';

import { FacilityCalendar } from './facility-calendar';

const calendar = FacilityCalendar.fromConfig({
  defaults: {
    timezone: 'Asia/Shanghai',
    shifts: [
      { code: 'E', start: '06:00', end: '14:00' },
      { code: 'L', start: '14:00', end: '22:00' },
      { code: 'N', start: '22:00', end: '06:00' },
    ],
  },
  facilities: [
    {
      id: 'ZJ-HZ-DS07',
      name: 'Hangzhou West delivery station',
      kind: 'DELIVERY_STATION',
      shifts: [
        { code: 'AM', start: '07:00', end: '13:00' },
        { code: 'PM', start: '13:00', end: '20:00' },
      ],
    },
    { id: 'ZJ-HZ-PC01', name: 'Hangzhou processing centre', kind: 'PROCESSING_CENTRE' },
    {
      id: 'DE-BER-PC01',
      name: 'Berlin centre',
      kind: 'PROCESSING_CENTRE',
      timezone: 'Europe/Berlin',
      shifts: [
        { code: 'N', start: '02:30', end: '10:00' },
        { code: 'D', start: '10:00', end: '02:30' },
      ],
    },
  ],
});
const FACILITIES = ['ZJ-HZ-DS07', 'ZJ-HZ-PC01', 'DE-BER-PC01', 'XX-NOT-LISTED'];
const HOUR = 3_600_000;

describe('FacilityCalendar.shiftTimesAt', () => {
  it('is shiftAt without the facility, at every instant, in any order of calls', () => {
    // around the spring-forward and fall-back days of Berlin and some ordinary days
    const around = fc.constantFrom(
      Date.parse('2026-03-29T01:00:00Z'),
      Date.parse('2026-10-25T01:00:00Z'),
      Date.parse('2026-11-27T00:00:00Z'),
    );
    const instant = fc.tuple(around, fc.integer({ min: -48 * HOUR, max: 48 * HOUR })).map(([a, d]) => a + d);
    const nearBoundary = fc
      .tuple(fc.constantFrom(...FACILITIES), instant)
      .map(([f, t]) => {
        const { startMs } = calendar.shiftAt(f, t);
        return [f, startMs] as const;
      })
      .chain(([f, start]) => fc.constantFrom(start - 1, start, start + 1).map((t) => [f, t] as const));
    const call = fc.oneof(fc.tuple(fc.constantFrom(...FACILITIES), instant), nearBoundary);
    fc.assert(
      fc.property(fc.array(call, { maxLength: 40 }), (calls) => {
        for (const [facilityId, t] of calls) {
          const times = calendar.shiftTimesAt(facilityId, t);
          const { shiftId, code, startMs, endMs } = calendar.shiftAt(facilityId, t);
          expect({
            shiftId: times.shiftId,
            code: times.code,
            startMs: times.startMs,
            endMs: times.endMs,
          }).toEqual({
            shiftId,
            code,
            startMs,
            endMs,
          });
          expect(times.startMs).toBeLessThanOrEqual(t);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('answers the shift boundary itself with the shift that starts there', () => {
    const start = Date.parse('2026-11-27T13:00:00+08:00');
    expect(calendar.shiftTimesAt('ZJ-HZ-DS07', start - 1).shiftId).toBe('2026-11-27/AM');
    expect(calendar.shiftTimesAt('ZJ-HZ-DS07', start).shiftId).toBe('2026-11-27/PM');
    expect(calendar.shiftTimesAt('ZJ-HZ-DS07', start - 1).shiftId).toBe('2026-11-27/AM');
    // the gap between PM's end and the next AM belongs to PM
    expect(calendar.shiftTimesAt('ZJ-HZ-DS07', Date.parse('2026-11-28T06:59:59.999+08:00')).shiftId).toBe(
      '2026-11-27/PM',
    );
  });

  it('throws a RangeError for an instant that is not finite', () => {
    expect(() => calendar.shiftTimesAt('ZJ-HZ-DS07', NaN)).toThrow(RangeError);
  });
});
