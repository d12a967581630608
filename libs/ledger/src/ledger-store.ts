import { ReplyError, type Result } from 'ioredis';

import type { Deadlines } from '@app/contracts';
import type { RedisClient } from '@app/redis';

import { ledgerKeys } from './keys';
import type { LedgerScan } from './ledger-scan';
import { defineLedgerScripts } from './scripts';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    applyScans(
      watermarks: string,
      prefix: string,
      field: string,
      expected: string,
      now: string,
      orphanWaitMs: string,
      retentionMs: string,
      events: string,
      deadlines: string,
      graceMs: string,
    ): Result<[string, string, string?, string[]?], Context>;
    refuseScan(
      watermarks: string,
      prefix: string,
      field: string,
      expected: string,
      offset: string,
      reason: string,
      retentionMs: string,
    ): Result<[string, string], Context>;
    tick(
      dirty: string,
      prefix: string,
      now: string,
      limit: string,
      retentionMs: string,
      deadlines: string,
      graceMs: string,
      coalesceMs: string,
      maxItems: string,
    ): Result<[number, string[], number], Context>;
    enqueueSummary(
      summary: string,
      prefix: string,
      shiftId: string,
      now: string,
      chgRead: string,
      json: string,
      key: string,
    ): Result<number, Context>;
    trimOutbox(outbox: string, maxSeq: string): Result<number, Context>;
  }
}

/**
 * What became of one scan: applied, duplicate, orphan (a closure without its hand-off, held), skipped (at
 * or below the watermark), or refused: the store cannot apply it (the reason becomes its dead letter's
 * detail, reason UNPROCESSABLE). A refusal is kept with the state, so a redelivery is refused again alike.
 */
export type ScanResult = 'applied' | 'duplicate' | 'orphan' | 'skipped' | { refused: string };
const resultOf: Record<string, ScanResult> = { A: 'applied', D: 'duplicate', O: 'orphan', S: 'skipped' };

/** Redis error replies that say "not now" rather than "never": retried, never taken for bad input. */
const TRANSIENT_REPLIES =
  /^(LOADING|BUSY|OOM|READONLY|MOVED|ASK|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|NOREPLICAS|NOSCRIPT|NOTBUSY|UNBLOCKED|EXECABORT)\b/;

/**
 * Whether Redis refused a call for what it was given, so that the same call would fail the same way
 * again: an error reply, other than those of a server that is loading, busy, full, read-only, moving
 * slots or failing over. Lost connections and timeouts are not replies and are never deterministic.
 */
export function isDeterministicRedisError(error: unknown): error is Error {
  return error instanceof (ReplyError as typeof Error) && !TRANSIENT_REPLIES.test(error.message);
}

const MAX_REASON_CHARS = 300;

/**
 * The scans as applyScans-1.lua takes them: a JSON array of arrays in its field order (offset, history
 * key, item, to, kind, occurredAt, eventId, shift, shift start, shift end, mail class, from, closure
 * counter, consent), so that Redis decodes no field names.
 */
export function scanRows(scans: readonly LedgerScan[]): string {
  const rows = new Array<unknown[]>(scans.length);
  for (let i = 0; i < scans.length; i++) {
    const s = scans[i];
    rows[i] = [s.o, s.key, s.item, s.to, s.k, s.t, s.id, s.s, s.ss, s.se, s.c, s.f, s.n ?? '', s.v ?? 0];
  }
  return JSON.stringify(rows);
}

/**
 * Redis answered that a facility's watermark is below what this consumer saw acknowledged: Redis lost
 * writes (a restart without its last second of append-only file). Rewind before applying more.
 */
export class LedgerRegressedError extends Error {
  readonly retriable = true;
  constructor(
    readonly facilityId: string,
    readonly partitionField: string,
    readonly expected: number,
    readonly found: number,
  ) {
    super(
      `Redis lost ledger writes: ${facilityId} ${partitionField} is at offset ${found}, ${expected} was acknowledged`,
    );
    this.name = 'LedgerRegressedError';
  }
}

/** The deadlines as the scripts take them: "R|<class>" and "F|<class>" -> minutes. */
export function deadlinesArg(deadlines: Deadlines): string {
  const out: Record<string, number> = {};
  for (const [mailClass, minutes] of Object.entries(deadlines.receipt)) out[`R|${mailClass}`] = minutes;
  for (const [mailClass, minutes] of Object.entries(deadlines.feedback)) out[`F|${mailClass}`] = minutes;
  return JSON.stringify(out);
}

export interface LedgerStoreOptions {
  orphanWaitMs: number;
  /** how long hand-off histories and shift ledgers are kept after their last change */
  retentionMs: number;
  deadlines: Deadlines;
  /** a shift closes at its end plus this */
  graceMs: number;
  /** the most events one script call applies, so that one call never holds Redis for long */
  maxScansPerCall?: number;
}

/** The hand-off ledger in Redis: applies scans exactly once and reads shifts back. */
export class LedgerStore {
  /** "<facility>\t<topic>:<partition>" -> the watermark Redis last acknowledged to this process */
  private readonly seen = new Map<string, number>();
  private readonly maxScansPerCall: number;
  private readonly deadlines: string;
  /** facilities this process has registered in the facility index */
  private readonly registered = new Set<string>();

  constructor(
    private readonly redis: RedisClient,
    private readonly options: LedgerStoreOptions,
  ) {
    this.maxScansPerCall = options.maxScansPerCall ?? 500;
    this.deadlines = deadlinesArg(options.deadlines);
    defineLedgerScripts(redis);
  }

  /**
   * Applies one partition's scans, given in offset order with the owner facility of each, and
   * returns each scan's result in the same order. Facilities are applied concurrently; one
   * facility's scans in order. Throws LedgerRegressedError when Redis lost writes.
   */
  async applyPartition(
    topic: string,
    partition: number,
    scans: { facilityId: string; scan: LedgerScan }[],
    nowMs: number,
  ): Promise<ScanResult[]> {
    const field = `${topic}:${partition}`;
    const byFacility = new Map<string, number[]>();
    scans.forEach(({ facilityId }, i) => {
      const list = byFacility.get(facilityId);
      if (list) list.push(i);
      else byFacility.set(facilityId, [i]);
    });
    const results = new Array<ScanResult>(scans.length);
    const settled = await Promise.allSettled(
      [...byFacility].map(async ([facilityId, indexes]) => {
        for (let from = 0; from < indexes.length; from += this.maxScansPerCall) {
          const chunk = indexes.slice(from, from + this.maxScansPerCall);
          const outcomes = await this.applyOrSplit(
            facilityId,
            field,
            chunk.map((i) => scans[i].scan),
            nowMs,
          );
          chunk.forEach((i, j) => (results[i] = outcomes[j]));
        }
      }),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const unregistered = [...byFacility.keys()].filter((f) => !this.registered.has(f));
    if (unregistered.length > 0) {
      await this.redis.sadd(ledgerKeys.facilities(), ...unregistered);
      unregistered.forEach((f) => this.registered.add(f));
    }
    return results;
  }

  /**
   * Applies one facility's scans; when Redis refuses the call for its input (isDeterministicRedisError:
   * the script refused an event before writing anything), splits it in halves until the culprit is
   * alone, and refuses that one. The rest is applied exactly as in one call.
   */
  private async applyOrSplit(
    facilityId: string,
    field: string,
    scans: LedgerScan[],
    nowMs: number,
  ): Promise<ScanResult[]> {
    try {
      return await this.applyFacility(facilityId, field, scans, nowMs);
    } catch (error) {
      if (!isDeterministicRedisError(error)) throw error;
      if (scans.length === 1) {
        const reason = `Redis refused the scan: ${error.message}`.slice(0, MAX_REASON_CHARS);
        await this.refuse(facilityId, field, scans[0].o, reason);
        return [{ refused: reason }];
      }
      const half = Math.ceil(scans.length / 2);
      const left = await this.applyOrSplit(facilityId, field, scans.slice(0, half), nowMs);
      const right = await this.applyOrSplit(facilityId, field, scans.slice(half), nowMs);
      return [...left, ...right];
    }
  }

  private async applyFacility(
    facilityId: string,
    field: string,
    scans: LedgerScan[],
    nowMs: number,
  ): Promise<ScanResult[]> {
    const seenKey = `${facilityId}\t${field}`;
    const expected = this.seen.get(seenKey) ?? -1;
    const [status, wm, codes, refused] = await this.redis.applyScans(
      ledgerKeys.watermarks(facilityId),
      ledgerKeys.prefix(facilityId),
      field,
      String(expected),
      String(nowMs),
      String(this.options.orphanWaitMs),
      String(this.options.retentionMs),
      scanRows(scans),
      this.deadlines,
      String(this.options.graceMs),
    );
    if (status === 'REGRESSED') throw new LedgerRegressedError(facilityId, field, expected, Number(wm));
    this.seen.set(seenKey, Number(wm));
    const results = [...(codes ?? '')].map((code) => resultOf[code]);
    for (let i = 0; refused && i < refused.length; i += 2) {
      results[Number(refused[i]) - 1] = { refused: refused[i + 1] };
    }
    return results;
  }

  private async refuse(facilityId: string, field: string, offset: number, reason: string): Promise<void> {
    const seenKey = `${facilityId}\t${field}`;
    const expected = this.seen.get(seenKey) ?? -1;
    const [status, wm] = await this.redis.refuseScan(
      ledgerKeys.watermarks(facilityId),
      ledgerKeys.prefix(facilityId),
      field,
      String(expected),
      String(offset),
      reason,
      String(this.options.retentionMs),
    );
    if (status === 'REGRESSED') throw new LedgerRegressedError(facilityId, field, expected, Number(wm));
    this.seen.set(seenKey, Number(wm));
  }

  /** Forgets what this process saw acknowledged (after a rewind, or when partitions move away). */
  forgetAcknowledged(): void {
    this.seen.clear();
  }
}
