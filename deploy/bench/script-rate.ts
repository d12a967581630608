/**
 * (2) Redis's rate for the ledger's script with the consumer's batching: the batches (1) saw, in the
 * order it saw them, parsed beforehand exactly as the consumer parses (ScanIntake), then applied with
 * LedgerStore.applyPartition (one applyScans call per facility per batch, up to 500 scans a call), as
 * many partition batches at once as the consumer applies. Only the Redis part is timed.
 */
import { FacilityCalendar } from '@app/calendar';
import type { LedgerScan, LedgerStore } from '@app/ledger';

import { ScanIntake } from '../../apps/ledger/src/scan-intake';
import type { Rules } from '@app/config';

import { fmt, type Progress } from './progress';

type Scans = { facilityId: string; scan: LedgerScan }[];

export interface ScriptRateResult {
  events: number;
  scans: number;
  seconds: number;
  eventsPerSecond: number;
  concurrency: number;
}

export interface PreparedBatch {
  partition: number;
  /** messages the batch covers, dead letters included */
  size: number;
  scans: Scans;
}

/** Parses every batch as the consumer would (dead letters dropped: they never reach Redis). */
export function prepareBatches(
  byPartition: string[][],
  batches: { partition: number; size: number }[],
  rules: Rules,
  nowMs: number,
): PreparedBatch[] {
  const intake = new ScanIntake(
    FacilityCalendar.fromFile(rules.facilitiesFile),
    rules.limits,
    rules.strictFacilities,
  );
  const next = new Array<number>(byPartition.length).fill(0);
  return batches.map(({ partition, size }) => {
    const from = next[partition];
    const values = byPartition[partition].slice(from, from + size);
    next[partition] = from + values.length;
    const scans: Scans = [];
    values.forEach((value, i) => {
      const read = intake.read(Buffer.from(value), from + i, nowMs);
      if (read.ok) scans.push({ facilityId: read.facilityId, scan: read.scan });
    });
    return { partition, size: values.length, scans };
  });
}

export async function measureScriptRate(options: {
  ledger: LedgerStore;
  topic: string;
  batches: PreparedBatch[];
  concurrency: number;
  progress: Progress;
}): Promise<ScriptRateResult> {
  const { ledger, topic, batches, concurrency, progress } = options;
  const total = batches.reduce((n, b) => n + b.size, 0);
  const scans = batches.reduce((n, b) => n + b.scans.length, 0);
  const queue = [...batches];
  const busy = new Set<number>();
  let done = 0;
  const nowMs = Date.now();
  const worker = async (): Promise<void> => {
    for (;;) {
      // kafkajs never works on two batches of one partition at once
      const i = queue.findIndex((b) => !busy.has(b.partition));
      if (i < 0) {
        if (queue.length === 0) return;
        await new Promise((r) => setImmediate(r));
        continue;
      }
      const [batch] = queue.splice(i, 1);
      busy.add(batch.partition);
      try {
        await ledger.applyPartition(topic, batch.partition, batch.scans, nowMs);
      } finally {
        busy.delete(batch.partition);
      }
      done += batch.size;
      progress.throttled(`(2) ledger script: ${fmt(done)}/${fmt(total)}`);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const eventsPerSecond = total / seconds;
  progress.line(
    `(2) ledger script: ${fmt(total)} events (${fmt(scans)} scans), ${fmt(eventsPerSecond)} events/s`,
  );
  return { events: total, scans, seconds, eventsPerSecond, concurrency };
}
