import { FacilityCalendar } from '@app/calendar';
import { isFacilityId, isRouteId, ownerFacilityOf } from '@app/contracts';

import { buildNetwork, facilityCalendarOf } from './network';

describe('the simulated network', () => {
  it('names centres, stations and routes with the prefix, as SPEC ids', () => {
    const network = buildNetwork('ZJ-SIM', 'Asia/Shanghai', {
      centres: 3,
      stationsPerCentre: 4,
      routesPerStation: 12,
    });
    expect(network.centres.map((c) => c.id)).toEqual(['ZJ-SIM-PC01', 'ZJ-SIM-PC02', 'ZJ-SIM-PC03']);
    expect(network.stations).toHaveLength(12);
    expect(network.stations[4]).toMatchObject({ id: 'ZJ-SIM-DS005', centreId: 'ZJ-SIM-PC02' });
    expect(network.stations[4].routes[11]).toBe('ZJ-SIM-DS005/R12');
    expect(network.facilityIds).toHaveLength(15);
    expect(network.facilityIds.every(isFacilityId)).toBe(true);
    for (const station of network.stations) {
      expect(station.routes.every((r) => isRouteId(r) && ownerFacilityOf(r) === station.id)).toBe(true);
    }
  });

  it('accepts the longest prefix that still gives valid ids, and refuses what does not', () => {
    const longest = 'A'.repeat(24);
    expect(
      buildNetwork(longest, 'UTC', { centres: 1, stationsPerCentre: 1, routesPerStation: 1 }).facilityIds,
    ).toEqual([`${longest}-PC01`, `${longest}-DS001`]);
    expect(() =>
      buildNetwork('A'.repeat(25), 'UTC', { centres: 1, stationsPerCentre: 1, routesPerStation: 1 }),
    ).toThrow(RangeError);
    expect(() =>
      buildNetwork('-X', 'UTC', { centres: 1, stationsPerCentre: 1, routesPerStation: 1 }),
    ).toThrow(/prefix/);
    expect(() =>
      buildNetwork('sim', 'UTC', { centres: 1, stationsPerCentre: 1, routesPerStation: 1 }),
    ).toThrow(/prefix/);
    expect(() =>
      buildNetwork('SIM', 'UTC', { centres: 0, stationsPerCentre: 1, routesPerStation: 1 }),
    ).toThrow(/centres/);
  });

  it('gives a facility calendar: centres on the E/L/N defaults, stations AM 07:00-13:00 and PM 13:00-20:00', () => {
    const network = buildNetwork('SIM', 'Asia/Urumqi', {
      centres: 1,
      stationsPerCentre: 2,
      routesPerStation: 1,
    });
    const file = facilityCalendarOf(network);
    expect(file.defaults).toEqual({
      timezone: 'Asia/Urumqi',
      shifts: [
        { code: 'E', start: '06:00', end: '14:00' },
        { code: 'L', start: '14:00', end: '22:00' },
        { code: 'N', start: '22:00', end: '06:00' },
      ],
    });
    const calendar = FacilityCalendar.fromConfig(JSON.parse(JSON.stringify(file)));
    expect(calendar.facility('SIM-PC01')).toMatchObject({
      kind: 'PROCESSING_CENTRE',
      timezone: 'Asia/Urumqi',
    });
    expect(calendar.facility('SIM-DS002')).toMatchObject({ kind: 'DELIVERY_STATION' });
    const at = Date.parse('2026-11-27T06:59:00+06:00');
    expect(calendar.shiftAt('SIM-DS002', at).shiftId).toBe('2026-11-26/PM');
    expect(calendar.shiftAt('SIM-PC01', at).shiftId).toBe('2026-11-27/E');
  });
});
