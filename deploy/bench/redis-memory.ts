/**
 * (5) Redis memory of the ledger's hand-offs, INFO used_memory before and after loading a seeded
 * postal day (NO_FAULTS) through the ledger's script. Nothing else may write to that Redis meanwhile.
 *   open:   K HANDOVERs whose closure never comes, so each stays open (its history, its place in the
 *           shift's open set, and in the facility's `due` set when its class has a deadline), scaled
 *           to a million;
 *   closed: in a second, flushed database, K HANDOVERs each followed by its closure (the RECEIPT of a
 *           hand-off to a facility, the FEEDBACK of one to a route) from the same day: what a closed
 *           hand-off keeps for the DEDUP_DAYS window, all keys included (its history, the shift's
 *           ledger, summary and index keys), divided by the hand-offs that ended closed.
 */
import { FacilityCalendar } from '@app/calendar';
import type { Rules } from '@app/config';
import { ledgerKeys, listShifts, readShiftLedger, type LedgerScan, type LedgerStore } from '@app/ledger';
import type { RedisClient } from '@app/redis';
import { generatePostalDay, NO_FAULTS, type DayMessage } from '@app/simulation';

import { ScanIntake } from '../../apps/ledger/src/scan-intake';
import { partitionOf } from './bench-topic';
import { fmt, sleep, type Progress } from './progress';

export interface RedisMemoryResult {
  openHandOffs: number;
  bytes: number;
  bytesPerOpenHandOff: number;
  /** MB per million open hand-offs */
  megabytesPerMillion: number;
  /** hand-offs that ended closed in the second database (HANDOVER and closure both applied) */
  closedHandOffs: number;
  /** used_memory delta of the second database's load */
  closedBytes: number;
  bytesPerClosedHandOff: number;
}

async function usedMemory(redis: RedisClient): Promise<number> {
  const info = await redis.info('memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  // the append-only buffer is written out every second; it is not the ledger's
  return field('used_memory') - field('mem_aof_buffer');
}

const PARTITIONS = 12;
const CHUNK = 4_000;

type Loaded = { facilityId: string; scan: LedgerScan; handOff: number; role: DayMessage['role'] };

/** The day's messages by partition, in day order (a closure comes after its HANDOVER, same key). */
function byPartitionOf(messages: Iterable<DayMessage>, intake: ScanIntake, now: number): Loaded[][] {
  const byPartition: Loaded[][] = Array.from({ length: PARTITIONS }, () => []);
  for (const m of messages) {
    const p = partitionOf(m.key, PARTITIONS);
    const read = intake.read(Buffer.from(m.value), byPartition[p].length, now);
    if (!read.ok) continue;
    byPartition[p].push({ facilityId: read.facilityId, scan: read.scan, handOff: m.handOff, role: m.role });
  }
  return byPartition;
}

/** Applies every partition's scans, CHUNK at a time, and returns used_memory's delta and the results. */
async function load(
  redis: RedisClient,
  ledger: LedgerStore,
  byPartition: Loaded[][],
  now: number,
  say: (applied: number, total: number) => void,
): Promise<{ bytes: number; results: { loaded: Loaded; applied: boolean }[] }> {
  const total = byPartition.reduce((n, list) => n + list.length, 0);
  const results: { loaded: Loaded; applied: boolean }[] = [];
  await sleep(1_500);
  const before = await usedMemory(redis);
  const topic = 'bench.memory';
  let applied = 0;
  for (let from = 0; applied < total; from += CHUNK) {
    for (let p = 0; p < PARTITIONS; p++) {
      const batch = byPartition[p].slice(from, from + CHUNK);
      if (batch.length === 0) continue;
      const outcomes = await ledger.applyPartition(topic, p, batch, now);
      batch.forEach((loaded, i) => results.push({ loaded, applied: outcomes[i] === 'applied' }));
      applied += batch.length;
    }
    say(applied, total);
  }
  await sleep(1_500);
  return { bytes: (await usedMemory(redis)) - before, results };
}

export async function measureRedisMemory(options: {
  redis: RedisClient;
  ledger: LedgerStore;
  /** a second database, flushed, for the closed hand-offs */
  closed: { redis: RedisClient; ledger: LedgerStore };
  rules: Rules;
  handOffs: number;
  seed: number;
  progress: Progress;
}): Promise<RedisMemoryResult> {
  const { redis, ledger, rules, progress } = options;
  const now = Date.now();
  const dayOf = (items: number) =>
    generatePostalDay({
      seed: options.seed,
      items,
      prefix: 'MEM',
      startMs: now - 24 * 3_600_000,
      durationMs: 24 * 3_600_000 - 60_000,
      faults: NO_FAULTS,
    });
  // about two hand-offs per item (centre -> station, station -> route), a few more for returns
  const day = dayOf(Math.ceil(options.handOffs / 1.8));
  const intake = new ScanIntake(FacilityCalendar.fromConfig(day.calendar), rules.limits, false);

  // open: HANDOVERs only
  const handovers: DayMessage[] = [];
  for (const m of day.messages) {
    if (handovers.length >= options.handOffs) break;
    if (m.role === 'HANDOVER') handovers.push(m);
  }
  const openByPartition = byPartitionOf(handovers, intake, now);
  const shifts = new Set<string>();
  for (const list of openByPartition) for (const l of list) shifts.add(`${l.facilityId}\t${l.scan.s}`);
  const taken = openByPartition.reduce((n, list) => n + list.length, 0);
  const { bytes } = await load(redis, ledger, openByPartition, now, (applied) =>
    progress.throttled(`(5) Redis memory: ${fmt(applied)}/${fmt(taken)} hand-offs loaded`),
  );
  let open = 0;
  for (const key of shifts) {
    const [facilityId, shiftId] = key.split('\t');
    open += await redis.scard(ledgerKeys.open(facilityId, shiftId));
  }
  progress.line(
    `(5) Redis memory: ${fmt(open)} open hand-offs take ${fmt(bytes / 1_048_576)} MB: ` +
      `${(open > 0 ? bytes / open : 0).toFixed(0)} bytes each, ` +
      `${(open > 0 ? ((bytes / open) * 1e6) / 1_048_576 : 0).toFixed(0)} MB per million`,
  );

  // closed: the first K HANDOVERs of a day with a little more items, each with its closure
  const closedDay = dayOf(Math.ceil((options.handOffs / 1.8) * 1.1));
  const closedIntake = new ScanIntake(FacilityCalendar.fromConfig(closedDay.calendar), rules.limits, false);
  const chosen = new Set<number>();
  const closing: DayMessage[] = [];
  for (const m of closedDay.messages) {
    if (m.role === 'HANDOVER' && chosen.size < options.handOffs) chosen.add(m.handOff);
    if ((m.role === 'HANDOVER' || m.role === 'CLOSURE') && chosen.has(m.handOff)) closing.push(m);
  }
  const closedByPartition = byPartitionOf(closing, closedIntake, now);
  const total = closedByPartition.reduce((n, list) => n + list.length, 0);
  const loaded = await load(options.closed.redis, options.closed.ledger, closedByPartition, now, (applied) =>
    progress.throttled(`(5) Redis memory, closed: ${fmt(applied)}/${fmt(total)} scans loaded`),
  );
  // closed by the applied results: a hand-off whose HANDOVER and closure were both applied ...
  const appliedRoles = new Map<number, Set<string>>();
  for (const { loaded: l, applied } of loaded.results) {
    if (!applied) continue;
    const roles = appliedRoles.get(l.handOff) ?? new Set<string>();
    roles.add(l.role);
    appliedRoles.set(l.handOff, roles);
  }
  const bothApplied = [...appliedRoles.values()].filter((r) => r.has('HANDOVER') && r.has('CLOSURE')).length;
  // ... and by the ledger: handed out minus still open, over every shift the load touched
  const facilities = new Set(closedByPartition.flat().map((l) => l.facilityId));
  let handedOut = 0;
  let stillOpen = 0;
  for (const facilityId of facilities) {
    for (const shiftId of await listShifts(options.closed.redis, facilityId)) {
      const shift = await readShiftLedger(options.closed.redis, facilityId, shiftId);
      handedOut += shift.totals.handedOut;
      stillOpen += shift.totals.open;
    }
  }
  const closedHandOffs = Math.min(bothApplied, handedOut - stillOpen);
  const result: RedisMemoryResult = {
    openHandOffs: open,
    bytes,
    bytesPerOpenHandOff: open > 0 ? bytes / open : 0,
    megabytesPerMillion: open > 0 ? ((bytes / open) * 1e6) / 1_048_576 : 0,
    closedHandOffs,
    closedBytes: loaded.bytes,
    bytesPerClosedHandOff: closedHandOffs > 0 ? loaded.bytes / closedHandOffs : 0,
  };
  progress.line(
    `(5) Redis memory, closed: ${fmt(closedHandOffs)} closed hand-offs (${fmt(bothApplied)} by the results, ` +
      `${fmt(handedOut - stillOpen)} by the ledger: ${fmt(handedOut)} handed out, ${fmt(stillOpen)} open) take ` +
      `${fmt(loaded.bytes / 1_048_576)} MB: ${result.bytesPerClosedHandOff.toFixed(0)} bytes each`,
  );
  return result;
}
