import { z } from 'zod';

// Character classes with bounded repeats and a separator outside them: linear, no backtracking blow-up.
const FACILITY_ID_PATTERN = /^[A-Z0-9][A-Z0-9-]{1,31}$/;
const ROUTE_ID_PATTERN = /^[A-Z0-9][A-Z0-9-]{1,31}\/[A-Z0-9-]{1,16}$/;
const SEGMENT_ID_PATTERN = /^[A-Z0-9][A-Z0-9-]{1,31}(?:\/[A-Z0-9-]{1,16})?$/;

/** A processing centre or delivery station, e.g. `ZJ-HZ-PC01`. */
export const FacilityId = z.string().regex(FACILITY_ID_PATTERN, 'must be a facility id like ZJ-HZ-DS07');
export type FacilityId = z.infer<typeof FacilityId>;

/** A courier's delivery route under a station: `<stationFacilityId>/<routeCode>`, e.g. `ZJ-HZ-DS07/R03`. */
export const RouteId = z.string().regex(ROUTE_ID_PATTERN, 'must be a route id like ZJ-HZ-DS07/R03');
export type RouteId = z.infer<typeof RouteId>;

/** A segment of the network: a facility or a route. */
export const SegmentId = z
  .string()
  .regex(SEGMENT_ID_PATTERN, 'must be a facility id (ZJ-HZ-DS07) or a route id (ZJ-HZ-DS07/R03)');
export type SegmentId = z.infer<typeof SegmentId>;

export function isFacilityId(value: string): boolean {
  return FACILITY_ID_PATTERN.test(value);
}

export function isRouteId(value: string): boolean {
  return ROUTE_ID_PATTERN.test(value);
}

export function isSegmentId(value: string): boolean {
  return SEGMENT_ID_PATTERN.test(value);
}

/** Whether a (valid) segment id names a route rather than a facility. */
export function isRoute(segment: SegmentId): boolean {
  return segment.indexOf('/') >= 0;
}

/** The facility that owns a segment: the facility itself, or for a route the station before `/`. */
export function ownerFacilityOf(segment: SegmentId): FacilityId {
  const slash = segment.indexOf('/');
  return slash < 0 ? segment : segment.slice(0, slash);
}
