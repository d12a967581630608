import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';

import { FacilityCalendar, FacilityCalendarError, Shift, closesAtMs } from './facility-calendar';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

const DEFAULT_SHIFTS = [
  { code: 'E', start: '06:00', end: '14:00' },
  { code: 'L', start: '14:00', end: '22:00' },
  { code: 'N', start: '22:00', end: '06:00' },
];

const config = {
  defaults: { timezone: 'Asia/Shanghai', shifts: DEFAULT_SHIFTS },
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
      id: 'XJ-URC-DS01',
      name: 'Urumqi Tianshan delivery station',
      kind: 'DELIVERY_STATION',
      timezone: 'Asia/Urumqi',
    },
    { id: 'DE-BER-PC01', name: 'Berlin centre', kind: 'PROCESSING_CENTRE', timezone: 'Europe/Berlin' },
    {
      id: 'DE-BER-DS01',
      name: 'Berlin station with shifts changing in the DST hour',
      kind: 'DELIVERY_STATION',
      timezone: 'Europe/Berlin',
      shifts: [
        { code: 'X', start: '02:30', end: '10:00' },
        { code: 'Y', start: '10:00', end: '02:30' },
      ],
    },
    // Zones whose changes are odd: half an hour (Lord Howe), at midnight (Santiago), at 02:00 (New York).
    {
      id: 'AU-LHI-DS01',
      name: 'Lord Howe Island',
      kind: 'DELIVERY_STATION',
      timezone: 'Australia/Lord_Howe',
    },
    {
      id: 'CL-SCL-DS01',
      name: 'Santiago',
      kind: 'DELIVERY_STATION',
      timezone: 'America/Santiago',
      shifts: [
        { code: 'A', start: '00:00', end: '12:00' },
        { code: 'B', start: '12:00', end: '00:00' },
      ],
    },
    {
      id: 'US-NYC-DS01',
      name: 'New York',
      kind: 'DELIVERY_STATION',
      timezone: 'America/New_York',
      shifts: [
        { code: 'X', start: '02:30', end: '10:00' },
        { code: 'Y', start: '10:00', end: '02:30' },
      ],
    },
  ],
};

function calendar(): FacilityCalendar {
  return FacilityCalendar.fromConfig(config);
}

function summary(shift: Shift): { shiftId: string; start: string; end: string } {
  return { shiftId: shift.shiftId, start: iso(shift.startMs), end: iso(shift.endMs) };
}

describe('FacilityCalendar', () => {
  describe('shiftAt', () => {
    it('puts instants into the default shifts in Asia/Shanghai', () => {
      const cal = calendar();
      expect(summary(cal.shiftAt('ZJ-HZ-PC01', at('2026-11-27T10:00:00+08:00')))).toEqual({
        shiftId: '2026-11-27/E',
        start: '2026-11-26T22:00:00.000Z',
        end: '2026-11-27T06:00:00.000Z',
      });
      expect(cal.shiftAt('ZJ-HZ-PC01', at('2026-11-27T15:30:00+08:00'))).toEqual({
        facilityId: 'ZJ-HZ-PC01',
        shiftId: '2026-11-27/L',
        code: 'L',
        startMs: at('2026-11-27T14:00:00+08:00'),
        endMs: at('2026-11-27T22:00:00+08:00'),
      });
    });

    it("uses a facility's own AM/PM shifts, and the gap 20:00-07:00 belongs to PM", () => {
      const cal = calendar();
      expect(cal.shiftAt('ZJ-HZ-DS07', at('2026-11-27T07:40:12+08:00')).shiftId).toBe('2026-11-27/AM');
      expect(cal.shiftAt('ZJ-HZ-DS07', at('2026-11-27T13:00:00+08:00')).shiftId).toBe('2026-11-27/PM');
      const lateEvening = cal.shiftAt('ZJ-HZ-DS07', at('2026-11-27T21:30:00+08:00'));
      const earlyMorning = cal.shiftAt('ZJ-HZ-DS07', at('2026-11-28T06:59:59.999+08:00'));
      expect(summary(lateEvening)).toEqual({
        shiftId: '2026-11-27/PM',
        start: '2026-11-27T05:00:00.000Z',
        end: '2026-11-27T12:00:00.000Z',
      });
      expect(earlyMorning).toEqual(lateEvening);
      expect(cal.shiftAt('ZJ-HZ-DS07', at('2026-11-28T07:00:00+08:00')).shiftId).toBe('2026-11-28/AM');
    });

    it('gives events after midnight in a night shift the date the shift started', () => {
      const shift = calendar().shiftAt('ZJ-HZ-PC01', at('2026-11-28T03:00:00+08:00'));
      expect(shift).toMatchObject({ shiftId: '2026-11-27/N', code: 'N' });
      expect(iso(shift.startMs)).toBe(iso(at('2026-11-27T22:00:00+08:00')));
      expect(iso(shift.endMs)).toBe(iso(at('2026-11-28T06:00:00+08:00')));
    });

    it('keeps shifts in local time for a facility in Asia/Urumqi (UTC+6)', () => {
      const cal = calendar();
      // 06:30 in Beijing is 04:30 in Urumqi: still the night shift that started the day before.
      const night = cal.shiftAt('XJ-URC-DS01', at('2026-11-27T06:30:00+08:00'));
      expect(summary(night)).toEqual({
        shiftId: '2026-11-26/N',
        start: '2026-11-26T16:00:00.000Z',
        end: '2026-11-27T00:00:00.000Z',
      });
      const early = cal.shiftAt('XJ-URC-DS01', at('2026-11-27T08:00:00+06:00'));
      expect(summary(early)).toEqual({
        shiftId: '2026-11-27/E',
        start: '2026-11-27T00:00:00.000Z',
        end: '2026-11-27T08:00:00.000Z',
      });
      expect(cal.timezoneOf('XJ-URC-DS01')).toBe('Asia/Urumqi');
    });

    it('starts a shift exactly at its start instant, and not a millisecond earlier', () => {
      const cal = calendar();
      const start = at('2026-11-27T14:00:00+08:00');
      expect(cal.shiftAt('ZJ-HZ-PC01', start).shiftId).toBe('2026-11-27/L');
      expect(cal.shiftAt('ZJ-HZ-PC01', start - 1).shiftId).toBe('2026-11-27/E');
      expect(cal.shiftAt('ZJ-HZ-PC01', start + 1).shiftId).toBe('2026-11-27/L');
      const midnight = at('2026-11-28T00:00:00+08:00');
      expect(cal.shiftAt('ZJ-HZ-PC01', midnight).shiftId).toBe('2026-11-27/N');
      expect(cal.shiftAt('ZJ-HZ-PC01', midnight - 1).shiftId).toBe('2026-11-27/N');
    });

    it('lets an unknown facility work on the defaults', () => {
      const cal = calendar();
      expect(cal.isKnown('ZJ-HZ-DS99')).toBe(false);
      expect(cal.isKnown('ZJ-HZ-DS07')).toBe(true);
      expect(cal.facility('ZJ-HZ-DS99')).toBeNull();
      expect(cal.facility('XJ-URC-DS01')).toEqual({
        id: 'XJ-URC-DS01',
        name: 'Urumqi Tianshan delivery station',
        kind: 'DELIVERY_STATION',
        timezone: 'Asia/Urumqi',
      });
      expect(cal.shiftAt('ZJ-HZ-DS99', at('2026-11-28T03:00:00+08:00'))).toMatchObject({
        facilityId: 'ZJ-HZ-DS99',
        shiftId: '2026-11-27/N',
      });
    });

    it('refuses an instant that is not a number', () => {
      expect(() => calendar().shiftAt('ZJ-HZ-PC01', NaN)).toThrow(RangeError);
    });
  });

  describe('daylight saving time (Europe/Berlin)', () => {
    it('makes the night shift over the spring-forward night 7 hours long', () => {
      // 2026-03-29 02:00 CET the clocks jump to 03:00 CEST.
      const shift = calendar().shiftAt('DE-BER-PC01', at('2026-03-29T03:30:00+02:00'));
      expect(summary(shift)).toEqual({
        shiftId: '2026-03-28/N',
        start: '2026-03-28T21:00:00.000Z',
        end: '2026-03-29T04:00:00.000Z',
      });
      expect(shift.endMs - shift.startMs).toBe(7 * HOUR);
    });

    it('makes the night shift over the fall-back night 9 hours long, both 02:xx hours inside it', () => {
      // 2026-10-25 03:00 CEST the clocks go back to 02:00 CET.
      const cal = calendar();
      const first = cal.shiftAt('DE-BER-PC01', at('2026-10-25T02:30:00+02:00'));
      const second = cal.shiftAt('DE-BER-PC01', at('2026-10-25T02:30:00+01:00'));
      expect(first).toEqual(second);
      expect(summary(first)).toEqual({
        shiftId: '2026-10-24/N',
        start: '2026-10-24T20:00:00.000Z',
        end: '2026-10-25T05:00:00.000Z',
      });
      expect(first.endMs - first.startMs).toBe(9 * HOUR);
    });

    it('starts a shift whose local start time is skipped at the moment the clocks jump', () => {
      const cal = calendar();
      const x = cal.shiftAt('DE-BER-DS01', at('2026-03-29T03:00:00+02:00'));
      expect(summary(x)).toEqual({
        shiftId: '2026-03-29/X',
        start: '2026-03-29T01:00:00.000Z',
        end: '2026-03-29T08:00:00.000Z',
      });
      const y = cal.shiftAt('DE-BER-DS01', at('2026-03-29T01:59:59+01:00'));
      expect(summary(y)).toEqual({
        shiftId: '2026-03-28/Y',
        start: '2026-03-28T09:00:00.000Z',
        end: '2026-03-29T01:00:00.000Z',
      });
    });

    it('starts a shift whose local start time occurs twice at its first occurrence', () => {
      const cal = calendar();
      const x = cal.shiftAt('DE-BER-DS01', at('2026-10-25T02:30:00+02:00'));
      expect(summary(x)).toEqual({
        shiftId: '2026-10-25/X',
        start: '2026-10-25T00:30:00.000Z',
        end: '2026-10-25T09:00:00.000Z',
      });
      expect(cal.shiftAt('DE-BER-DS01', at('2026-10-25T02:45:00+01:00'))).toEqual(x);
      expect(cal.shiftAt('DE-BER-DS01', at('2026-10-25T02:29:59+02:00')).shiftId).toBe('2026-10-24/Y');
    });

    it('starts a midnight shift at the moment the clocks jump when midnight is skipped (America/Santiago)', () => {
      // 2026-09-06 00:00 -04 the clocks jump to 01:00 -03.
      const a = calendar().shiftAt('CL-SCL-DS01', at('2026-09-06T01:30:00-03:00'));
      expect(summary(a)).toEqual({
        shiftId: '2026-09-06/A',
        start: '2026-09-06T04:00:00.000Z',
        end: '2026-09-06T15:00:00.000Z',
      });
      expect(calendar().shiftAt('CL-SCL-DS01', at('2026-09-05T23:59:59-04:00')).shiftId).toBe('2026-09-05/B');
    });

    it('names summer and winter shifts by local date in the right offset', () => {
      const cal = calendar();
      expect(cal.shiftAt('DE-BER-PC01', at('2026-07-01T05:59:59+02:00')).shiftId).toBe('2026-06-30/N');
      expect(cal.shiftAt('DE-BER-PC01', at('2026-07-01T06:00:00+02:00')).shiftId).toBe('2026-07-01/E');
      expect(cal.shiftAt('DE-BER-PC01', at('2026-12-01T06:00:00+01:00')).shiftId).toBe('2026-12-01/E');
    });
  });

  describe('shiftById', () => {
    it('finds the shift a shiftAt answer names, for every facility', () => {
      const cal = calendar();
      for (const facilityId of ['ZJ-HZ-DS07', 'ZJ-HZ-PC01', 'XJ-URC-DS01', 'DE-BER-DS01', 'ZJ-HZ-DS99']) {
        for (let t = at('2026-10-20T00:00:00Z'); t < at('2026-11-02T00:00:00Z'); t += 37 * 60_000) {
          const shift = cal.shiftAt(facilityId, t);
          expect(cal.shiftById(facilityId, shift.shiftId)).toEqual(shift);
        }
      }
    });

    it.each([
      ['a code the facility does not have', 'ZJ-HZ-DS07', '2026-11-27/E'],
      ['a date that does not exist', 'ZJ-HZ-PC01', '2026-02-30/E'],
      ['a malformed id', 'ZJ-HZ-PC01', '20261127/E'],
      ['a lower-case code', 'ZJ-HZ-PC01', '2026-11-27/e'],
      ['an empty id', 'ZJ-HZ-PC01', ''],
    ])('answers null for %s', (_what, facilityId, shiftId) => {
      expect(calendar().shiftById(facilityId, shiftId)).toBeNull();
    });
  });

  describe('shiftsBetween', () => {
    it('lists every shift starting in the range, in order', () => {
      const cal = calendar();
      const day = cal.shiftsBetween(
        'ZJ-HZ-PC01',
        at('2026-11-27T00:00:00+08:00'),
        at('2026-11-28T00:00:00+08:00'),
      );
      expect(day.map((s) => s.shiftId)).toEqual(['2026-11-27/E', '2026-11-27/L', '2026-11-27/N']);
      const twoDays = cal.shiftsBetween(
        'ZJ-HZ-DS07',
        at('2026-11-27T07:00:00+08:00'),
        at('2026-11-29T07:00:00+08:00'),
      );
      expect(twoDays.map((s) => s.shiftId)).toEqual([
        '2026-11-27/AM',
        '2026-11-27/PM',
        '2026-11-28/AM',
        '2026-11-28/PM',
      ]);
    });

    it('is empty for an empty range and refuses a huge one', () => {
      const cal = calendar();
      expect(
        cal.shiftsBetween('ZJ-HZ-PC01', at('2026-11-27T07:00:00+08:00'), at('2026-11-27T07:00:00+08:00')),
      ).toEqual([]);
      expect(() => cal.shiftsBetween('ZJ-HZ-PC01', 0, 1000 * DAY)).toThrow(RangeError);
    });
  });

  it('closes a shift at its end plus the grace minutes', () => {
    const shift = calendar().shiftAt('ZJ-HZ-DS07', at('2026-11-27T09:00:00+08:00'));
    expect(iso(closesAtMs(shift, 30))).toBe(iso(at('2026-11-27T13:30:00+08:00')));
  });

  describe('properties over two years of instants', () => {
    const facilities = config.facilities.map((facility) => facility.id).concat('ZJ-HZ-DS99');
    const instant = fc.integer({ min: at('2025-06-01T00:00:00Z'), max: at('2027-06-01T00:00:00Z') });

    it('puts every instant in a shift that started at or before it and whose successor starts after it', () => {
      const cal = calendar();
      fc.assert(
        fc.property(fc.constantFrom(...facilities), instant, (facilityId, t) => {
          const shift = cal.shiftAt(facilityId, t);
          expect(shift.startMs).toBeLessThanOrEqual(t);
          expect(shift.endMs).toBeGreaterThan(shift.startMs);
          expect(cal.shiftAt(facilityId, shift.startMs)).toEqual(shift);
          expect(cal.shiftAt(facilityId, shift.startMs - 1).shiftId).not.toBe(shift.shiftId);
          const next = cal.shiftsBetween(facilityId, shift.startMs + 1, shift.startMs + 2 * DAY)[0];
          expect(next.startMs).toBeGreaterThan(t);
          expect(cal.shiftAt(facilityId, next.startMs - 1)).toEqual(shift);
        }),
        { numRuns: 1500 },
      );
    });

    it('answers the same whatever the order of questions (the caches never change an answer)', () => {
      const cached = calendar();
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.constantFrom(...facilities), instant), { minLength: 1, maxLength: 50 }),
          (asks) => {
            for (const [facilityId, t] of asks) {
              expect(cached.shiftAt(facilityId, t)).toEqual(calendar().shiftAt(facilityId, t));
            }
          },
        ),
        { numRuns: 100 },
      );
    });
  });
});

describe('FacilityCalendar files', () => {
  function problemsOf(raw: unknown): string[] {
    try {
      FacilityCalendar.fromConfig(raw);
    } catch (error) {
      expect(error).toBeInstanceOf(FacilityCalendarError);
      return [...(error as FacilityCalendarError).problems];
    }
    throw new Error('the calendar was accepted');
  }

  const station = (extra: object) => ({
    id: 'ZJ-HZ-DS07',
    name: 'Hangzhou West',
    kind: 'DELIVERY_STATION',
    ...extra,
  });

  it('loads the calendar that ships in deploy/config/facilities.json', () => {
    const cal = FacilityCalendar.fromFile(join(__dirname, '../../../deploy/config/facilities.json'));
    for (const id of ['ZJ-HZ-PC01', 'ZJ-HZ-DS07', 'ZJ-HZ-DS08', 'XJ-URC-DS01'])
      expect(cal.isKnown(id)).toBe(true);
    expect(cal.shiftAt('ZJ-HZ-DS07', at('2026-11-27T07:40:12+08:00')).shiftId).toBe('2026-11-27/AM');
    expect(cal.timezoneOf('XJ-URC-DS01')).toBe('Asia/Urumqi');
  });

  it.each([
    [
      'an unknown time zone',
      { ...config, facilities: [station({ timezone: 'Asia/Hangzhou' })] },
      'facilities[0] (ZJ-HZ-DS07) timezone: unknown IANA time zone "Asia/Hangzhou"',
    ],
    [
      'a facility with an empty shift list',
      { ...config, facilities: [station({ shifts: [] })] },
      'facilities[0] (ZJ-HZ-DS07) shifts: needs at least one shift',
    ],
    [
      'two shifts with the same code',
      {
        ...config,
        facilities: [
          station({
            shifts: [
              { code: 'AM', start: '07:00', end: '13:00' },
              { code: 'AM', start: '13:00', end: '20:00' },
            ],
          }),
        ],
      },
      'facilities[0] (ZJ-HZ-DS07) shifts[1] (AM) code: repeats the code of shifts[0]',
    ],
    [
      'two shifts with the same start',
      {
        ...config,
        facilities: [
          station({
            shifts: [
              { code: 'AM', start: '07:00', end: '13:00' },
              { code: 'PM', start: '07:00', end: '20:00' },
            ],
          }),
        ],
      },
      'facilities[0] (ZJ-HZ-DS07) shifts[1] (PM) start: starts at 07:00 like shifts[0]',
    ],
    [
      'a start that is not HH:MM',
      { ...config, facilities: [station({ shifts: [{ code: 'AM', start: '24:00', end: '13:00' }] })] },
      'facilities[0] (ZJ-HZ-DS07) shifts[0] (AM) start: must be a local time HH:MM',
    ],
    [
      'a lower-case shift code',
      { ...config, facilities: [station({ shifts: [{ code: 'am', start: '07:00', end: '13:00' }] })] },
      'facilities[0] (ZJ-HZ-DS07) shifts[0] (am) code: must be 1-8 capital letters or digits',
    ],
    [
      'a facility id listed twice',
      { ...config, facilities: [station({}), station({})] },
      'facilities[1] (ZJ-HZ-DS07) id: repeats the id of facilities[0]',
    ],
    [
      'an unknown facility kind',
      { ...config, facilities: [station({ kind: 'DEPOT' })] },
      'facilities[0] (ZJ-HZ-DS07) kind: Invalid enum value',
    ],
    [
      'a misspelt key',
      { ...config, facilities: [station({ timeZone: 'Asia/Shanghai' })] },
      "facilities[0] (ZJ-HZ-DS07): Unrecognized key(s) in object: 'timeZone'",
    ],
    [
      'defaults without shifts',
      { defaults: { timezone: 'Asia/Shanghai' }, facilities: [] },
      'defaults shifts: Required',
    ],
  ])('rejects %s with a message naming it', (_what, raw, expected) => {
    expect(problemsOf(raw)).toEqual([expect.stringContaining(expected)]);
  });

  it('lists every problem, one line each', () => {
    const raw = {
      defaults: { timezone: 'Mars/Olympus', shifts: DEFAULT_SHIFTS },
      facilities: [
        station({ shifts: [{ code: 'AM', start: '7:00', end: '13:00' }] }),
        station({ kind: 'DEPOT' }),
      ],
    };
    const error = (() => {
      try {
        FacilityCalendar.fromConfig(raw);
      } catch (caught) {
        return caught as FacilityCalendarError;
      }
      throw new Error('the calendar was accepted');
    })();
    expect(error.problems).toHaveLength(4);
    expect(error.message.split('\n')).toEqual(error.problems);
  });

  it('names the file when it cannot be read or is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'calendar-'));
    const broken = join(dir, 'facilities.json');
    writeFileSync(broken, '{"defaults": ');
    expect(() => FacilityCalendar.fromFile(broken)).toThrow(`${broken}: is not valid JSON`);
    expect(() => FacilityCalendar.fromFile(join(dir, 'missing.json'))).toThrow('cannot be read (ENOENT)');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...config, facilities: [station({ timezone: 'Nowhere/City' })] }));
    expect(() => FacilityCalendar.fromFile(bad)).toThrow(`${bad}: facilities[0] (ZJ-HZ-DS07) timezone`);
  });
});

describe('FacilityCalendar.shiftTimesAt', () => {
  const cal = calendar();
  // the cached shift of shiftAt: around the spring-forward and fall-back days of Berlin, shifts changing
  // in the DST hour, zones with odd changes, a facility not listed
  const FACILITIES = [
    'ZJ-HZ-DS07',
    'ZJ-HZ-PC01',
    'DE-BER-PC01',
    'DE-BER-DS01',
    'AU-LHI-DS01',
    'CL-SCL-DS01',
    'XX-NOT-LISTED',
  ];
  it('is shiftAt without the facility, at every instant, in any order of calls', () => {
    const around = fc.constantFrom(
      Date.parse('2026-03-29T01:00:00Z'),
      Date.parse('2026-10-25T01:00:00Z'),
      Date.parse('2026-11-27T00:00:00Z'),
    );
    const instant = fc.tuple(around, fc.integer({ min: -48 * HOUR, max: 48 * HOUR })).map(([a, d]) => a + d);
    const nearBoundary = fc
      .tuple(fc.constantFrom(...FACILITIES), instant)
      .map(([f, t]) => {
        const { startMs } = cal.shiftAt(f, t);
        return [f, startMs] as const;
      })
      .chain(([f, start]) => fc.constantFrom(start - 1, start, start + 1).map((t) => [f, t] as const));
    const call = fc.oneof(fc.tuple(fc.constantFrom(...FACILITIES), instant), nearBoundary);
    fc.assert(
      fc.property(fc.array(call, { maxLength: 40 }), (calls) => {
        for (const [facilityId, t] of calls) {
          const times = cal.shiftTimesAt(facilityId, t);
          const { shiftId, code, startMs, endMs } = cal.shiftAt(facilityId, t);
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
    expect(cal.shiftTimesAt('ZJ-HZ-DS07', start - 1).shiftId).toBe('2026-11-27/AM');
    expect(cal.shiftTimesAt('ZJ-HZ-DS07', start).shiftId).toBe('2026-11-27/PM');
    expect(cal.shiftTimesAt('ZJ-HZ-DS07', start - 1).shiftId).toBe('2026-11-27/AM');
    // the gap between PM's end and the next AM belongs to PM
    expect(cal.shiftTimesAt('ZJ-HZ-DS07', Date.parse('2026-11-28T06:59:59.999+08:00')).shiftId).toBe(
      '2026-11-27/PM',
    );
  });

  it('throws a RangeError for an instant that is not finite', () => {
    expect(() => cal.shiftTimesAt('ZJ-HZ-DS07', NaN)).toThrow(RangeError);
  });
});
