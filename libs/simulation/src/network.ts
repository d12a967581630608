import type { FacilityCalendarFile, ShiftDefinition } from '@app/calendar';
import { isFacilityId, isRouteId } from '@app/contracts';

/** A delivery station and the couriers' routes it owns. */
export interface DeliveryStation {
  readonly id: string;
  /** the processing centre that supplies it */
  readonly centreId: string;
  readonly routes: readonly string[];
}

export interface ProcessingCentre {
  readonly id: string;
  readonly stations: readonly DeliveryStation[];
}

/** A simulated province: processing centres, each supplying its delivery stations, each with its routes. */
export interface Network {
  readonly prefix: string;
  readonly timezone: string;
  readonly centres: readonly ProcessingCentre[];
  readonly stations: readonly DeliveryStation[];
  /** every facility id, centres first */
  readonly facilityIds: readonly string[];
}

export interface NetworkSize {
  /** processing centres */
  centres: number;
  /** delivery stations per centre */
  stationsPerCentre: number;
  /** routes per delivery station */
  routesPerStation: number;
}

/** Centres work around the clock: the calendar's default E/L/N shifts (SPEC section 1). */
export const CENTRE_SHIFTS: readonly ShiftDefinition[] = [
  { code: 'E', start: '06:00', end: '14:00' },
  { code: 'L', start: '14:00', end: '22:00' },
  { code: 'N', start: '22:00', end: '06:00' },
];

/** Stations deliver by day; a scan in the night belongs to the previous PM shift (the gap belongs to the shift before). */
export const STATION_SHIFTS: readonly ShiftDefinition[] = [
  { code: 'AM', start: '07:00', end: '13:00' },
  { code: 'PM', start: '13:00', end: '20:00' },
];

/** Longest prefix: room for `-DS` and up to five digits in a 32-character facility id. */
const PREFIX_PATTERN = /^[A-Z0-9][A-Z0-9-]{0,23}$/;
const MAX_FACILITIES_PER_KIND = 99_999;
const MAX_ROUTES_PER_STATION = 999;

/**
 * Builds the province's facility and route ids: centres `<prefix>-PC01`, stations `<prefix>-DS001`
 * (numbered across the province), routes `<station>/R01`. Throws a RangeError for a prefix or size
 * that cannot give valid ids.
 */
export function buildNetwork(prefix: string, timezone: string, size: NetworkSize): Network {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new RangeError(
      `prefix "${prefix}" must be 1-24 capital letters, digits or '-', starting with a letter or digit`,
    );
  }
  for (const [name, value] of Object.entries(size)) {
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`network.${name} must be a whole number >= 1`);
  }
  const stationCount = size.centres * size.stationsPerCentre;
  if (size.centres > MAX_FACILITIES_PER_KIND || stationCount > MAX_FACILITIES_PER_KIND) {
    throw new RangeError(`a network has at most ${MAX_FACILITIES_PER_KIND} centres and as many stations`);
  }
  if (size.routesPerStation > MAX_ROUTES_PER_STATION) {
    throw new RangeError(`network.routesPerStation must be at most ${MAX_ROUTES_PER_STATION}`);
  }
  const centreDigits = Math.max(2, String(size.centres).length);
  const stationDigits = Math.max(3, String(stationCount).length);
  const routeDigits = Math.max(2, String(size.routesPerStation).length);

  const centres: ProcessingCentre[] = [];
  const stations: DeliveryStation[] = [];
  for (let c = 1; c <= size.centres; c++) {
    const centreId = `${prefix}-PC${String(c).padStart(centreDigits, '0')}`;
    const own: DeliveryStation[] = [];
    for (let s = 1; s <= size.stationsPerCentre; s++) {
      const id = `${prefix}-DS${String(stations.length + 1).padStart(stationDigits, '0')}`;
      const routes = Array.from(
        { length: size.routesPerStation },
        (_, r) => `${id}/R${String(r + 1).padStart(routeDigits, '0')}`,
      );
      const station: DeliveryStation = { id, centreId, routes };
      own.push(station);
      stations.push(station);
    }
    centres.push({ id: centreId, stations: own });
  }
  const network: Network = {
    prefix,
    timezone,
    centres,
    stations,
    facilityIds: [...centres.map((c) => c.id), ...stations.map((s) => s.id)],
  };
  const bad = network.facilityIds.find((id) => !isFacilityId(id));
  if (bad !== undefined) throw new RangeError(`prefix "${prefix}" gives an invalid facility id ${bad}`);
  if (!stations.every((s) => s.routes.every(isRouteId))) throw new RangeError('invalid route id');
  return network;
}

/**
 * The facility calendar of the network, as the JSON object a FACILITIES_FILE holds: the default
 * E/L/N shifts for centres, AM/PM for stations, all in the network's time zone.
 */
export function facilityCalendarOf(network: Network): FacilityCalendarFile {
  return {
    defaults: { timezone: network.timezone, shifts: CENTRE_SHIFTS.map((s) => ({ ...s })) },
    facilities: [
      ...network.centres.map((centre, i) => ({
        id: centre.id,
        name: `Simulated processing centre ${i + 1}`,
        kind: 'PROCESSING_CENTRE' as const,
      })),
      ...network.stations.map((station, i) => ({
        id: station.id,
        name: `Simulated delivery station ${i + 1} (supplied by ${station.centreId})`,
        kind: 'DELIVERY_STATION' as const,
        shifts: STATION_SHIFTS.map((s) => ({ ...s })),
      })),
    ],
  };
}

/**
 * `base` (a system's calendar) with the network's facilities added, those already in it kept as they
 * are: the FACILITIES_FILE to give the system when it should know the simulated facilities.
 */
export function calendarWithNetwork(base: FacilityCalendarFile, network: Network): FacilityCalendarFile {
  const known = new Set(base.facilities.map((f) => f.id));
  const own = facilityCalendarOf(network).facilities.filter((f) => !known.has(f.id));
  return { defaults: base.defaults, facilities: [...base.facilities, ...own] };
}
