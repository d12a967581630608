import { MAX_ALERT_ITEMS, type Deadlines, type ShiftSummary } from '@app/contracts';
import type { RedisClient } from '@app/redis';

import { ledgerKeys } from './keys';
import { deadlinesArg } from './ledger-store';
import { outboxEntryOf, type OutboxEntry } from './outbox';
import { defineLedgerScripts } from './scripts';
import { ledgerFacilities, readShiftLedger, type ShiftLedger } from './shift-ledger';

export interface WatchStoreOptions {
  retentionMs: number;
  deadlines: Deadlines;
  graceMs: number;
  summaryCoalesceMs: number;
  /** the most held closures, deadlines and shift closes one tick call handles */
  tickLimit?: number;
}

/** facilities asked at once when counting open hand-offs: enough to fill the pipeline, not to flood Redis */
const OPEN_COUNT_CHUNK = 200;

/** The watch's side of the ledger in Redis: timers, alert revisions, summaries, the outbox. */
export class WatchStore {
  private readonly deadlines: string;

  constructor(
    private readonly redis: RedisClient,
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
      String(MAX_ALERT_ITEMS),
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

  /** The ledger of one (facility, shift), as a summary reports it. */
  async shiftLedger(facilityId: string, shiftId: string): Promise<ShiftLedger> {
    return readShiftLedger(this.redis, facilityId, shiftId);
  }

  /**
   * Puts the next revision of a summary on the outbox (the store numbers it). `changesRead` is
   * `summaryState().changes` read before the ledger. Returns the revision, or 0 when that state was
   * published meanwhile.
   */
  async enqueueSummary(
    summary: Omit<ShiftSummary, 'revision'>,
    nowMs: number,
    changesRead: number,
    key: string,
  ): Promise<number> {
    return this.redis.enqueueSummary(
      ledgerKeys.summary(summary.facilityId, summary.shiftId),
      ledgerKeys.prefix(summary.facilityId),
      summary.shiftId,
      String(nowMs),
      String(changesRead),
      JSON.stringify(summary),
      key,
    );
  }

  async readOutbox(facilityId: string, limit: number): Promise<OutboxEntry[]> {
    const raw = await this.redis.zrange(ledgerKeys.outbox(facilityId), 0, limit - 1, 'WITHSCORES');
    const out: OutboxEntry[] = [];
    for (let i = 0; i < raw.length; i += 2)
      out.push(outboxEntryOf(facilityId, raw[i], Number(raw[i + 1]), this.options.deadlines));
    return out;
  }

  /** Forgets the outbox entries up to `maxSeq`, now on Kafka; returns how many are left. */
  async trimOutbox(facilityId: string, maxSeq: number): Promise<number> {
    return this.redis.trimOutbox(ledgerKeys.outbox(facilityId), String(maxSeq));
  }

  /**
   * How many hand-offs are open in the shifts not yet closed of `facilities` (for
   * `handover_open_handoffs`). Per facility: ZRANGE of its shifts awaiting close (one to three,
   * usually), then SCARD of each one's open set, which is O(1) in Redis and equals the shift ledger's
   * `open` counter (the same Lua step moves both). Shifts already closed are left out: what stays open
   * in them is reported by their summary and SHIFT_UNBALANCED alert, and counting them would mean every
   * shift of the DEDUP_DAYS window. Reading the ledger hashes instead would fetch every counter.
   */
  async countOpenHandOffs(facilities: string[]): Promise<number> {
    let open = 0;
    for (let from = 0; from < facilities.length; from += OPEN_COUNT_CHUNK) {
      const chunk = facilities.slice(from, from + OPEN_COUNT_CHUNK);
      const shifts = await Promise.all(chunk.map((f) => this.redis.zrange(ledgerKeys.closes(f), 0, -1)));
      const sizes = await Promise.all(
        chunk.flatMap((f, i) => shifts[i].map((shift) => this.redis.scard(ledgerKeys.open(f, shift)))),
      );
      for (const n of sizes) open += n;
    }
    return open;
  }

  /** Every facility that has ledger data. */
  facilities(): Promise<string[]> {
    return ledgerFacilities(this.redis);
  }
}
