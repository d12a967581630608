import fc from 'fast-check';

import { LocalClock } from './local-clock';

describe('the local clock', () => {
  it('writes RFC 3339 with the local offset, which reads back as the same whole second', () => {
    const shanghai = new LocalClock('Asia/Shanghai');
    expect(shanghai.rfc3339(Date.parse('2026-11-26T23:40:12.345Z'))).toBe('2026-11-27T07:40:12+08:00');
    for (const zone of [
      'Asia/Shanghai',
      'Europe/Berlin',
      'America/New_York',
      'Australia/Lord_Howe',
      'Asia/Kolkata',
    ]) {
      const clock = new LocalClock(zone);
      fc.assert(
        fc.property(fc.integer({ min: Date.parse('2020-01-01'), max: Date.parse('2030-01-01') }), (ms) => {
          const text = clock.rfc3339(ms);
          expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
          expect(Date.parse(text)).toBe(Math.floor(ms / 1000) * 1000);
        }),
        { numRuns: 2_000 },
      );
    }
  });

  it('knows the local time of day, the next local 07:00 and local midnight, also across a change of offset', () => {
    const berlin = new LocalClock('Europe/Berlin');
    expect(berlin.midnightOf('2026-03-29')).toBe(Date.parse('2026-03-29T00:00:00+01:00'));
    expect(berlin.midnightOf('2026-03-30')).toBe(Date.parse('2026-03-30T00:00:00+02:00'));
    expect(berlin.minuteOfDay(Date.parse('2026-03-29T03:30:00+02:00'))).toBe(3 * 60 + 30);
    expect(berlin.nextLocalTime(Date.parse('2026-03-28T20:00:00+01:00'), 7 * 60)).toBe(
      Date.parse('2026-03-29T07:00:00+02:00'),
    );
    expect(berlin.nextLocalTime(Date.parse('2026-03-29T07:00:00+02:00'), 7 * 60)).toBe(
      Date.parse('2026-03-29T07:00:00+02:00'),
    );
    expect(() => berlin.midnightOf('29.03.2026')).toThrow(RangeError);
  });
});
