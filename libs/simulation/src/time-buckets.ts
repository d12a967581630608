/** What the buckets order: by `atMs`, then by `seq` (creation order), so equal instants keep a fixed order. */
export interface Timed {
  readonly atMs: number;
  readonly seq: number;
}

const BUCKET_MS = 60_000;
// A module-level alias: a global looked up in a vm context (Jest's) is slow; see random.ts.
const floor = Math.floor;

const byTime = (a: Timed, b: Timed): number => a.atMs - b.atMs || a.seq - b.seq;

/**
 * Scans generated ahead of the stream, kept by minute of event time until no scan can come before
 * them any more. Cheaper than a heap for this load: pushes are appends, and each minute is sorted
 * once when it is released.
 */
export class TimeBuckets<T extends Timed> {
  private readonly buckets = new Map<number, T[]>();
  /** the lowest minute not yet released */
  private next = -Infinity;
  private last = -Infinity;

  get size(): number {
    let n = 0;
    for (const bucket of this.buckets.values()) n += bucket.length;
    return n;
  }

  push(item: T): void {
    const minute = floor(item.atMs / BUCKET_MS);
    if (minute < this.next) throw new RangeError('a scan was generated for a minute already released');
    let bucket = this.buckets.get(minute);
    if (bucket === undefined) this.buckets.set(minute, (bucket = []));
    bucket.push(item);
    if (minute > this.last) this.last = minute;
  }

  /** Releases, in order, every whole minute that ends at or before `ms`: the caller pushes nothing before `ms` any more. */
  *releaseUntil(ms: number): Generator<T, void, undefined> {
    const until = Math.floor(ms / BUCKET_MS); // minutes below this end at or before ms
    if (this.next === -Infinity) {
      if (this.buckets.size === 0) return;
      // Start at the earliest minute held, but never past `until`: the minutes between are still open
      // to pushes (the first item's scans may all come later than the next item's entry).
      this.next = Math.min(Math.min(...this.buckets.keys()), until);
    }
    for (; this.next < until && this.next <= this.last; this.next++) {
      const bucket = this.buckets.get(this.next);
      if (bucket === undefined) continue;
      this.buckets.delete(this.next);
      bucket.sort(byTime);
      yield* bucket;
    }
    if (this.next < until) this.next = until;
  }

  /** Releases everything left, in order. */
  releaseAll(): Generator<T, void, undefined> {
    return this.releaseUntil((this.last + 1) * BUCKET_MS);
  }
}
