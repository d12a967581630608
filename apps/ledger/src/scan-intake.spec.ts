import { FacilityCalendar } from '@app/calendar';

import { ScanIntake } from './scan-intake';

const calendar = FacilityCalendar.fromConfig({
  defaults: {
    timezone: 'Asia/Shanghai',
    shifts: [
      { code: 'D', start: '08:00', end: '20:00' },
      { code: 'N', start: '20:00', end: '08:00' },
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
  ],
});
const limits = { maxEventBytes: 65_536, maxClockSkewMs: 300_000, dedupDays: 7 };
const now = Date.parse('2026-11-27T12:00:00+08:00');
const bytes = (event: object) => Buffer.from(JSON.stringify(event));

describe('ScanIntake', () => {
  const intake = new ScanIntake(calendar, limits, false);

  it('puts a HANDOVER in the shift of the facility it leaves, at the time it happened', () => {
    const read = intake.read(
      bytes({
        eventId: 'e1',
        type: 'HANDOVER',
        itemId: 'EA123456785CN',
        facilityId: 'ZJ-HZ-DS07',
        from: 'ZJ-HZ-DS07',
        to: 'ZJ-HZ-DS07/R03',
        occurredAt: '2026-11-27T07:40:12+08:00',
      }),
      41,
      now,
    );
    expect(read).toMatchObject({
      ok: true,
      type: 'HANDOVER',
      facilityId: 'ZJ-HZ-DS07',
      scan: {
        o: 41,
        k: 'H',
        key: 'EA123456785CN|>|ZJ-HZ-DS07/R03',
        s: '2026-11-27/AM',
        c: 'EXPRESS',
        f: 'ZJ-HZ-DS07',
      },
    });
  });

  it('finds a FEEDBACK its hand-off through the route, and keeps the consent', () => {
    const read = intake.read(
      bytes({
        eventId: 'e2',
        type: 'FEEDBACK',
        itemId: 'EA123456785CN',
        facilityId: 'ZJ-HZ-DS07',
        route: 'ZJ-HZ-DS07/R03',
        outcome: 'LOCKER',
        consent: true,
        occurredAt: '2026-11-27T10:02:55+08:00',
      }),
      42,
      now,
    );
    expect(read).toMatchObject({
      ok: true,
      facilityId: 'ZJ-HZ-DS07',
      scan: { k: 'C', key: 'EA123456785CN|>|ZJ-HZ-DS07/R03', n: 'locker', v: 1 },
    });
  });

  it('uses the default shifts for a facility not in the calendar, unless facilities are strict', () => {
    const event = bytes({
      eventId: 'e3',
      type: 'RECEIPT',
      itemId: 'CP100000003CN',
      facilityId: 'XX-NEW-DS01',
      from: 'ZJ-HZ-DS07',
      to: 'XX-NEW-DS01',
      occurredAt: '2026-11-27T09:00:00+08:00',
    });
    expect(intake.read(event, 1, now)).toMatchObject({
      ok: true,
      scan: { s: '2026-11-27/AM', n: 'received' },
    });
    expect(new ScanIntake(calendar, limits, true).read(event, 1, now)).toEqual({
      ok: false,
      reason: 'UNKNOWN_FACILITY',
      detail: 'facility XX-NEW-DS01 is not in the facility calendar',
    });
  });

  it('passes the reason of a message it cannot read', () => {
    expect(intake.read(Buffer.from('{"eventId":'), 1, now)).toMatchObject({
      ok: false,
      reason: 'INVALID_JSON',
    });
  });
});

describe('ScanIntake under STRICT_FACILITIES', () => {
  const strict = new ScanIntake(calendar, limits, true);
  const base = { eventId: 'e1', itemId: 'EA123456785CN', occurredAt: '2026-11-27T07:40:12+08:00' };
  const read = (event: object) => strict.read(bytes({ ...base, ...event }), 1, now);
  const unknown = (id: string) => ({
    ok: false,
    reason: 'UNKNOWN_FACILITY',
    detail: `facility ${id} is not in the facility calendar`,
  });
  const handover = { type: 'HANDOVER', facilityId: 'ZJ-HZ-PC01', from: 'ZJ-HZ-PC01', to: 'ZJ-HZ-DS07/R1' };

  it('names the first unknown of: the scanning facility, the owner of from, the owner of to', () => {
    expect(read({ ...handover, facilityId: 'XX-A', from: 'XX-B', to: 'XX-C/R1' })).toEqual(unknown('XX-A'));
    expect(read({ ...handover, from: 'XX-B/R2', to: 'XX-C/R1' })).toEqual(unknown('XX-B'));
    expect(read({ ...handover, to: 'XX-C/R1' })).toEqual(unknown('XX-C'));
    expect(read({ ...handover, type: 'RECEIPT', to: 'XX-C' })).toEqual(unknown('XX-C'));
    expect(read(handover)).toMatchObject({ ok: true, facilityId: 'ZJ-HZ-PC01' });
  });

  it('checks the owner of the route for a FEEDBACK', () => {
    const feedback = {
      type: 'FEEDBACK',
      facilityId: 'ZJ-HZ-DS07',
      route: 'ZJ-HZ-DS07/R1',
      outcome: 'DELIVERED',
    };
    expect(read({ ...feedback, facilityId: 'XX-A', route: 'XX-D/R1' })).toEqual(unknown('XX-A'));
    expect(read({ ...feedback, route: 'XX-D/R1' })).toEqual(unknown('XX-D'));
    expect(read(feedback)).toMatchObject({
      ok: true,
      facilityId: 'ZJ-HZ-DS07',
      scan: { s: '2026-11-27/AM' },
    });
  });
});
