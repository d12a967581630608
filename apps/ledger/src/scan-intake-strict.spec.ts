import { FacilityCalendar } from '@app/calendar';

import { ScanIntake } from './scan-intake';

const calendar = FacilityCalendar.fromConfig({
  defaults: { timezone: 'Asia/Shanghai', shifts: [{ code: 'D', start: '08:00', end: '20:00' }] },
  facilities: [
    { id: 'ZJ-HZ-DS07', name: 'station', kind: 'DELIVERY_STATION' },
    { id: 'ZJ-HZ-PC01', name: 'centre', kind: 'PROCESSING_CENTRE' },
  ],
});
const limits = { maxEventBytes: 65_536, maxClockSkewMs: 300_000, dedupDays: 7 };
const now = Date.parse('2026-11-27T12:00:00+08:00');
const strict = new ScanIntake(calendar, limits, true);
const base = { eventId: 'e1', itemId: 'EA123456785CN', occurredAt: '2026-11-27T07:40:12+08:00' };
const read = (event: object) => strict.read(Buffer.from(JSON.stringify({ ...base, ...event })), 1, now);
const unknown = (id: string) => ({
  ok: false,
  reason: 'UNKNOWN_FACILITY',
  detail: `facility ${id} is not in the facility calendar`,
});

describe('ScanIntake under STRICT_FACILITIES', () => {
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
    expect(read(feedback)).toMatchObject({ ok: true, facilityId: 'ZJ-HZ-DS07', scan: { s: '2026-11-26/D' } });
  });
});
