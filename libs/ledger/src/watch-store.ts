import type { RedisClient } from '@app/redis';

import { ledgerKeys } from './keys';
import type { Deadlines } from '@app/contracts';

import { deadlinesArg } from './ledger-store';
import { defineLedgerScripts } from './scripts';

export interface WatchStoreOptions {
  retentionMs: number;
  deadlines: Deadlines;
  graceMs: number;
  summaryCoalesceMs: number;
  /** the most held closures, deadlines and shift closes one tick call handles */
  tickLimit?: number;
}

/** A message waiting on a facility's outbox: an alert revision or a summary revision. */
export interface OutboxEntry {
  seq: number;
  kind: 'alert' | 'summary';
  /** the Kafka message key: the alertId, or "<facilityId>|<shiftId>" */
  key: string;
  /** when the condition the message reports became true (ms) */
  conditionAt: number;
  value: string;
}

/** The watch's side of the ledger in Redis: timers, alert revisions, summaries, the outbox. */
export class WatchStore {
  private readonly deadlines: string;

  constructor(
    readonly redis: RedisClient,
    private readonly options: WatchStoreOptions,
  ) {
    this.deadlines = deadlinesArg(options.deadlines);
    defineLedgerScripts(redis);
  }

  /**
   * One facility's timers at `nowMs`: orphans, deadlines, shift closes, and the next revision of every
   * changed alert onto the outbox. Returns the shifts whose summary is due, and whether work is left.
   */
  async tick(
    facilityId: string,
    nowMs: number,
  ): Promise<{ alerts: number; summariesDue: string[]; more: boolean }> {
    const [alerts, summariesDue, more] = await this.redis.tick(
      ledgerKeys.dirty(facilityId),
      ledgerKeys.prefix(facilityId),
      String(nowMs),
      String(this.options.tickLimit ?? 1_000),
      String(this.options.retentionMs),
      this.deadlines,
      String(this.options.graceMs),
      String(this.options.summaryCoalesceMs),
    );
    return { alerts, summariesDue, more: more === 1 };
  }

  /** How many ledger changes the closed shift has had since it closed, and when it closed (ms). */
  async summaryState(
    facilityId: string,
    shiftId: string,
  ): Promise<{ changes: number; closedAt: number | null }> {
    const [changes, closedAt] = await Promise.all([
      this.redis.hget(ledgerKeys.summary(facilityId, shiftId), 'chg'),
      this.redis.hget(ledgerKeys.closed(facilityId), shiftId),
    ]);
    return { changes: Number(changes ?? 0), closedAt: closedAt === null ? null : Number(closedAt) };
  }

  /**
   * Puts a summary revision on the outbox; `json` has `"revision":0`, replaced by the revision given.
   * `changesRead` is `summaryState().changes` read before the ledger. Returns the revision, or 0.
   */
  async enqueueSummary(
    facilityId: string,
    shiftId: string,
    nowMs: number,
    changesRead: number,
    json: string,
    key: string,
  ): Promise<number> {
    return this.redis.enqueueSummary(
      ledgerKeys.summary(facilityId, shiftId),
      ledgerKeys.prefix(facilityId),
      shiftId,
      String(nowMs),
      String(changesRead),
      json,
      key,
    );
  }

  async readOutbox(facilityId: string, limit: number): Promise<OutboxEntry[]> {
    const raw = await this.redis.zrange(ledgerKeys.outbox(facilityId), 0, limit - 1, 'WITHSCORES');
    const out: OutboxEntry[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const member = raw[i];
      const a = member.indexOf('\n');
      const b = member.indexOf('\n', a + 1);
      const c = member.indexOf('\n', b + 1);
      out.push({
        seq: Number(raw[i + 1]),
        kind: member.slice(0, a) === 'A' ? 'alert' : 'summary',
        key: member.slice(a + 1, b),
        conditionAt: Number(member.slice(b + 1, c)),
        value: member.slice(c + 1),
      });
    }
    return out;
  }

  /** Forgets the outbox entries up to `maxSeq`, now on Kafka; returns how many are left. */
  async trimOutbox(facilityId: string, maxSeq: number): Promise<number> {
    return this.redis.trimOutbox(ledgerKeys.outbox(facilityId), String(maxSeq));
  }

  /** Every facility that has ledger data. */
  async facilities(): Promise<string[]> {
    return this.redis.smembers(ledgerKeys.facilities());
  }
}
