/**
 * (5) Redis memory per million open hand-offs: INFO used_memory before and after applying K HANDOVERs
 * of a seeded postal day (no closure ever comes, so each stays open: its history, its place in the
 * shift's open set, and in the facility's `due` set when its class has a deadline) through the
 * ledger's script, scaled to a million. Nothing else may write to that Redis meanwhile.
 */
import { FacilityCalendar } from '@app/calendar';
import type { Rules } from '@app/config';
import { ledgerKeys, type LedgerScan, type LedgerStore } from '@app/ledger';
import type { RedisClient } from '@app/redis';
import { generatePostalDay, NO_FAULTS } from '@app/simulation';

import { ScanIntake } from '../../apps/ledger/src/scan-intake';
import { partitionOf } from './bench-topic';
import { fmt, sleep, type Progress } from './progress';

export interface RedisMemoryResult {
  openHandOffs: number;
  bytes: number;
  bytesPerOpenHandOff: number;
  /** MB per million open hand-offs */
  megabytesPerMillion: number;
}

async function usedMemory(redis: RedisClient): Promise<number> {
  const info = await redis.info('memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  // the append-only buffer is written out every second; it is not the ledger's
  return field('used_memory') - field('mem_aof_buffer');
}

export async function measureRedisMemory(options: {
  redis: RedisClient;
  ledger: LedgerStore;
  rules: Rules;
  handOffs: number;
  seed: number;
  progress: Progress;
}): Promise<RedisMemoryResult> {
  const { redis, ledger, rules, progress } = options;
  const now = Date.now();
  const day = generatePostalDay({
    seed: options.seed,
    // about two hand-offs per item (centre -> station, station -> route), a few more for returns
    items: Math.ceil(options.handOffs / 1.8),
    prefix: 'MEM',
    startMs: now - 24 * 3_600_000,
    durationMs: 24 * 3_600_000 - 60_000,
    faults: NO_FAULTS,
  });
  const intake = new ScanIntake(FacilityCalendar.fromConfig(day.calendar), rules.limits, false);
  const partitions = 12;
  const byPartition: { facilityId: string; scan: LedgerScan }[][] = Array.from(
    { length: partitions },
    () => [],
  );
  const shifts = new Set<string>();
  let taken = 0;
  for (const m of day.messages) {
    if (taken >= options.handOffs) break;
    if (m.role !== 'HANDOVER') continue;
    const p = partitionOf(m.key, partitions);
    const read = intake.read(Buffer.from(m.value), byPartition[p].length, now);
    if (!read.ok) continue;
    byPartition[p].push({ facilityId: read.facilityId, scan: read.scan });
    shifts.add(`${read.facilityId}\t${read.scan.s}`);
    taken++;
  }

  await sleep(1_500);
  const before = await usedMemory(redis);
  const topic = 'bench.memory';
  let applied = 0;
  for (let from = 0; applied < taken; from += 4_000) {
    for (let p = 0; p < partitions; p++) {
      const batch = byPartition[p].slice(from, from + 4_000);
      if (batch.length === 0) continue;
      await ledger.applyPartition(topic, p, batch, now);
      applied += batch.length;
    }
    progress.throttled(`(5) Redis memory: ${fmt(applied)}/${fmt(taken)} hand-offs loaded`);
  }
  await sleep(1_500);
  const after = await usedMemory(redis);
  let open = 0;
  for (const key of shifts) {
    const [facilityId, shiftId] = key.split('\t');
    open += await redis.scard(ledgerKeys.open(facilityId, shiftId));
  }
  const bytes = after - before;
  const result = {
    openHandOffs: open,
    bytes,
    bytesPerOpenHandOff: open > 0 ? bytes / open : 0,
    megabytesPerMillion: open > 0 ? ((bytes / open) * 1e6) / 1_048_576 : 0,
  };
  progress.line(
    `(5) Redis memory: ${fmt(open)} open hand-offs take ${fmt(bytes / 1_048_576)} MB: ` +
      `${result.bytesPerOpenHandOff.toFixed(0)} bytes each, ${result.megabytesPerMillion.toFixed(0)} MB per million`,
  );
  return result;
}
