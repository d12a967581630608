import { TimeBuckets, type Timed } from './time-buckets';

const MINUTE = 60_000;
const at = (minute: number, seq: number): Timed => ({ atMs: minute * MINUTE + 1_000, seq });
const release = (b: TimeBuckets<Timed>, ms: number) => [...b.releaseUntil(ms)].map((t) => t.seq);

describe('TimeBuckets', () => {
  it('releases whole minutes before the given instant, in time order then creation order', () => {
    const b = new TimeBuckets<Timed>();
    b.push(at(12, 0));
    b.push(at(10, 1));
    b.push({ atMs: 10 * MINUTE + 1_000, seq: 2 });
    b.push(at(11, 3));
    expect(release(b, 12 * MINUTE)).toEqual([1, 2, 3]);
    expect(b.size).toBe(1);
    expect([...b.releaseAll()].map((t) => t.seq)).toEqual([0]);
  });

  it('still takes scans for a minute before the first one held when the first release is earlier than it', () => {
    // the first item entered at minute 10 and all its scans come at minute 18 or later; the next item
    // enters at minute 12 and scans at once: minutes 12..17 were never released
    const b = new TimeBuckets<Timed>();
    expect(release(b, 10 * MINUTE)).toEqual([]);
    b.push(at(18, 0));
    expect(release(b, 12 * MINUTE)).toEqual([]);
    expect(() => b.push(at(12, 1))).not.toThrow();
    b.push(at(15, 2));
    expect(release(b, 16 * MINUTE)).toEqual([1, 2]);
    expect([...b.releaseAll()].map((t) => t.seq)).toEqual([0]);
  });

  it('refuses a scan for a minute already released', () => {
    const b = new TimeBuckets<Timed>();
    b.push(at(10, 0));
    expect(release(b, 13 * MINUTE)).toEqual([0]);
    expect(() => b.push(at(12, 1))).toThrow(RangeError);
    expect(() => b.push(at(13, 2))).not.toThrow();
  });
});
