import { FacilityId, RouteId, SegmentId, isRoute, isSegmentId, ownerFacilityOf } from './segment';

describe('segments', () => {
  it('accepts facility ids of 2 to 32 characters starting with a letter or digit', () => {
    expect(FacilityId.safeParse('ZJ-HZ-PC01').success).toBe(true);
    expect(FacilityId.safeParse('A1').success).toBe(true);
    expect(FacilityId.safeParse('A'.repeat(32)).success).toBe(true);
    expect(FacilityId.safeParse('A').success).toBe(false);
    expect(FacilityId.safeParse('A'.repeat(33)).success).toBe(false);
    expect(FacilityId.safeParse('-ZJ').success).toBe(false);
    expect(FacilityId.safeParse('zj-hz-pc01').success).toBe(false);
    expect(FacilityId.safeParse('ZJ-HZ-DS07/R03').success).toBe(false);
  });

  it('accepts route ids made of a station id and a route code of up to 16 characters', () => {
    expect(RouteId.safeParse('ZJ-HZ-DS07/R03').success).toBe(true);
    expect(RouteId.safeParse(`ZJ-HZ-DS07/${'R'.repeat(16)}`).success).toBe(true);
    expect(RouteId.safeParse(`ZJ-HZ-DS07/${'R'.repeat(17)}`).success).toBe(false);
    expect(RouteId.safeParse('ZJ-HZ-DS07/').success).toBe(false);
    expect(RouteId.safeParse('ZJ-HZ-DS07').success).toBe(false);
    expect(RouteId.safeParse('ZJ-HZ-DS07/R03/X').success).toBe(false);
    expect(RouteId.safeParse('/R03').success).toBe(false);
  });

  it('takes either a facility or a route as a segment', () => {
    expect(SegmentId.safeParse('ZJ-HZ-DS07').success).toBe(true);
    expect(SegmentId.safeParse('ZJ-HZ-DS07/R03').success).toBe(true);
    expect(SegmentId.safeParse('ZJ-HZ-DS07//R03').success).toBe(false);
    expect(SegmentId.safeParse(42).success).toBe(false);
  });

  it('names the owner facility: the facility itself, or the station a route belongs to', () => {
    expect(ownerFacilityOf('ZJ-HZ-PC01')).toBe('ZJ-HZ-PC01');
    expect(ownerFacilityOf('ZJ-HZ-DS07/R03')).toBe('ZJ-HZ-DS07');
    expect(isRoute('ZJ-HZ-DS07/R03')).toBe(true);
    expect(isRoute('ZJ-HZ-DS07')).toBe(false);
  });

  it('checks a very long hostile string in linear time', () => {
    const hostile = `${'A-'.repeat(50_000)}/`;
    const started = Date.now();
    expect(isSegmentId(hostile)).toBe(false);
    expect(Date.now() - started).toBeLessThan(100);
  });
});
