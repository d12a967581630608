import type { Result } from 'ioredis';

import type { RedisClient } from '@app/redis';

import { ledgerKeys } from './keys';
import type { LedgerScan } from './ledger-scan';
import { ledgerScripts } from './scripts';

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
    ): Result<[string, string, string?], Context>;
    promoteOrphans(
      held: string,
      prefix: string,
      now: string,
      limit: string,
      retentionMs: string,
    ): Result<[number, number], Context>;
  }
}

/** What became of one scan: applied, duplicate, orphan (a closure without its hand-off, held), skipped. */
export type ScanResult = 'applied' | 'duplicate' | 'orphan' | 'skipped';
const resultOf: Record<string, ScanResult> = { A: 'applied', D: 'duplicate', O: 'orphan', S: 'skipped' };

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

export interface LedgerStoreOptions {
  orphanWaitMs: number;
  /** how long hand-off histories and shift ledgers are kept after their last change */
  retentionMs: number;
  /** the most events one script call applies, so that one call never holds Redis for long */
  maxScansPerCall?: number;
}

/** The hand-off ledger in Redis: applies scans exactly once and reads shifts back. */
export class LedgerStore {
  /** "<facility>\t<topic>:<partition>" -> the watermark Redis last acknowledged to this process */
  private readonly seen = new Map<string, number>();
  private readonly maxScansPerCall: number;

  constructor(
    readonly redis: RedisClient,
    private readonly options: LedgerStoreOptions,
  ) {
    this.maxScansPerCall = options.maxScansPerCall ?? 500;
    for (const script of ledgerScripts()) {
      redis.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
    }
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
          const codes = await this.applyFacility(
            facilityId,
            field,
            chunk.map((i) => scans[i].scan),
            nowMs,
          );
          chunk.forEach((i, j) => (results[i] = resultOf[codes[j]]));
        }
      }),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return results;
  }

  private async applyFacility(
    facilityId: string,
    field: string,
    scans: LedgerScan[],
    nowMs: number,
  ): Promise<string> {
    const seenKey = `${facilityId}\t${field}`;
    const expected = this.seen.get(seenKey) ?? -1;
    const [status, wm, codes] = await this.redis.applyScans(
      ledgerKeys.watermarks(facilityId),
      ledgerKeys.prefix(facilityId),
      field,
      String(expected),
      String(nowMs),
      String(this.options.orphanWaitMs),
      String(this.options.retentionMs),
      JSON.stringify(scans),
    );
    if (status === 'REGRESSED') throw new LedgerRegressedError(facilityId, field, expected, Number(wm));
    this.seen.set(seenKey, Number(wm));
    return codes ?? '';
  }

  /** Forgets what this process saw acknowledged (after a rewind, or when partitions move away). */
  forgetAcknowledged(): void {
    this.seen.clear();
  }

  /** Marks the closures of `facilityId` whose orphan wait has passed as orphans; returns how many. */
  async promoteOrphans(
    facilityId: string,
    nowMs: number,
    limit = 500,
  ): Promise<{ promoted: number; remaining: number }> {
    const [promoted, remaining] = await this.redis.promoteOrphans(
      ledgerKeys.held(facilityId),
      ledgerKeys.prefix(facilityId),
      String(nowMs),
      String(limit),
      String(this.options.retentionMs),
    );
    return { promoted, remaining };
  }
}
