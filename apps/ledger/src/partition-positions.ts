import type { KeptPositions } from '@app/ledger';

interface Partition {
  /** next offset to consume; null until read from Redis after (re)assignment */
  next: number | null;
  /** next offsets applied, with when Redis acknowledged them, not yet old enough to be the kept position */
  recent: { next: number; at: number }[];
  /** the kept position last written to Redis */
  kept: number | null;
  /** the next offset to commit to Kafka, if not committed yet */
  toCommit: number | null;
  /** where the consumer was last sent, until a batch from there is applied */
  sought: number | null;
}

/**
 * Where each assigned partition stands. The position kept in Redis (`ledgerKeys.positions`) is where a
 * consumer starts; it trails the newest applied offset by `lagMs`, so that it is never ahead of the
 * ledger state Redis still has after losing its last second of writes. Kafka's committed offset is the
 * newest applied one, for lag monitoring and tools.
 */
export class PartitionPositions {
  private readonly partitions = new Map<string, Partition>();

  constructor(
    private readonly kept: KeptPositions,
    private readonly lagMs: number,
  ) {}

  private get(topic: string, partition: number): Partition {
    const key = `${topic}:${partition}`;
    let p = this.partitions.get(key);
    if (!p)
      this.partitions.set(key, (p = { next: null, recent: [], kept: null, toCommit: null, sought: null }));
    return p;
  }

  /** The next offset to apply, read from Redis on first use; null when Redis keeps none. */
  async expectedNext(topic: string, partition: number): Promise<number | null> {
    const p = this.get(topic, partition);
    if (p.next === null) {
      const [kept] = await this.kept.read([`${topic}:${partition}`]);
      if (kept !== null && p.next === null) {
        p.next = kept;
        p.kept = p.next;
      }
    }
    return p.next;
  }

  /**
   * True the first time the consumer must be sent to `offset` (its batch starts elsewhere); false when it
   * was sent there already and Kafka still starts elsewhere (offsets gone): then it goes on from there.
   */
  seekOnce(topic: string, partition: number, offset: number): boolean {
    const p = this.get(topic, partition);
    if (p.sought === offset) return false;
    p.sought = offset;
    return true;
  }

  /** Records that everything up to `lastOffset` is applied and acknowledged by Redis. */
  applied(topic: string, partition: number, lastOffset: number, nowMs: number): void {
    const p = this.get(topic, partition);
    p.sought = null;
    p.next = lastOffset + 1;
    p.recent.push({ next: p.next, at: nowMs });
    p.toCommit = p.next;
  }

  /** Forgets every partition: the next batch of each re-reads its position from Redis. */
  forgetAll(): void {
    this.partitions.clear();
  }

  /** Assigned partitions and the offset each must restart from (Redis's kept position). */
  async keptPositions(assigned: { topic: string; partition: number }[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (assigned.length === 0) return out;
    const fields = assigned.map((a) => `${a.topic}:${a.partition}`);
    const values = await this.kept.read(fields);
    fields.forEach((f, i) => {
      const next = values[i];
      if (next !== null) out.set(f, next);
    });
    return out;
  }

  /**
   * Writes the positions that are now old enough (all of them when `final`) to Redis, then returns the
   * Kafka commits due. Only positions of `assigned` partitions are written.
   */
  async flush(
    nowMs: number,
    final: boolean,
    assigned: Set<string>,
  ): Promise<{ topic: string; partition: number; offset: string }[]> {
    const writes = new Map<string, number>();
    const commits: { topic: string; partition: number; offset: string }[] = [];
    for (const [key, p] of this.partitions) {
      if (!assigned.has(key)) continue;
      let keep: number | null = null;
      while (p.recent.length > 0 && (final || p.recent[0].at <= nowMs - this.lagMs)) {
        keep = (p.recent.shift() as { next: number }).next;
      }
      if (keep !== null && keep !== p.kept) {
        writes.set(key, keep);
        p.kept = keep;
      }
      if (p.toCommit !== null) {
        const sep = key.lastIndexOf(':');
        commits.push({
          topic: key.slice(0, sep),
          partition: Number(key.slice(sep + 1)),
          offset: String(p.toCommit),
        });
      }
    }
    await this.kept.write(writes);
    return commits;
  }

  /** Marks Kafka commits as done (they are retried at the next flush otherwise). */
  committed(commits: { topic: string; partition: number; offset: string }[]): void {
    for (const c of commits) {
      const p = this.partitions.get(`${c.topic}:${c.partition}`);
      if (p && p.toCommit === Number(c.offset)) p.toCommit = null;
    }
  }
}
