import { z } from 'zod';

import { addEndPoint, lagAge, type LagAge } from './end-history';
import { LagStatus, type GroupLag, type PartitionLag } from './lag-report';
import { partitionStatus, worstStatus, type LagRules } from './lag-rules';

const Offset = z.number().int();

/** What the monitor keeps of one partition between samples (and across its own restarts, in Redis). */
export const PartitionWindow = z.object({
  topic: z.string(),
  partition: z.number().int().nonnegative(),
  /** [atMs, endOffset] oldest first: the log end over time, for lag in seconds */
  history: z.array(z.tuple([z.number(), Offset])),
  /** the last `windowSamples` samples, oldest first, for the status */
  window: z.array(
    z.object({
      atMs: z.number(),
      endOffset: Offset,
      committed: Offset.nullable(),
      lag: Offset.nonnegative(),
    }),
  ),
  /** the last sample at which the committed offset moved or there was no lag */
  lastProgressAtMs: z.number(),
});
export type PartitionWindow = z.infer<typeof PartitionWindow>;

export const GroupWindow = z.object({
  group: z.string(),
  sampledAtMs: z.number(),
  status: LagStatus,
  /** since when the group's status has not been OK (for CONSUMER_LAG after LAG_ALERT_MINUTES); null: OK */
  notOkSinceMs: z.number().nullable(),
  partitions: z.array(PartitionWindow),
});
export type GroupWindow = z.infer<typeof GroupWindow>;

/** One partition as sampled from Kafka. */
export interface PartitionOffsets {
  topic: string;
  partition: number;
  /** the group's committed offset (the next it would read); null: none */
  committed: number | null;
  /** the log start (low watermark): where a group with no committed offset starts from */
  startOffset: number;
  endOffset: number;
}

/** One sample of a group: its live members and the offsets of every partition it consumes or committed. */
export interface GroupSample {
  group: string;
  atMs: number;
  members: number;
  partitions: PartitionOffsets[];
}

export interface WindowSettings extends LagRules {
  /** at most this many points in a partition's log-end history */
  historyPoints: number;
}

export interface AdvancedGroup {
  window: GroupWindow;
  lag: GroupLag;
  /** how each partition's lag in seconds was found, by "topic:partition" (for the logs) */
  ages: Map<string, LagAge>;
}

/**
 * Adds a sample to a group's window and evaluates it: lag in messages and seconds, and status per
 * partition and for the group. A pure step: the same previous window and sample give the same answer.
 * Partitions that are no longer sampled are forgotten.
 */
export function advanceWindow(
  previous: GroupWindow | null,
  sample: GroupSample,
  settings: WindowSettings,
): AdvancedGroup {
  const before = new Map((previous?.partitions ?? []).map((p) => [`${p.topic}:${p.partition}`, p]));
  const partitions: PartitionWindow[] = [];
  const lags: PartitionLag[] = [];
  const ages = new Map<string, LagAge>();
  const sorted = [...sample.partitions].sort(
    (a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition,
  );
  for (const offsets of sorted) {
    const id = `${offsets.topic}:${offsets.partition}`;
    const old = before.get(id);
    const next = offsets.committed ?? offsets.startOffset;
    const lag = Math.max(0, offsets.endOffset - next);
    const history = addEndPoint(old?.history ?? [], [sample.atMs, offsets.endOffset], settings.historyPoints);
    const window = [
      ...(old?.window ?? []),
      { atMs: sample.atMs, endOffset: offsets.endOffset, committed: offsets.committed, lag },
    ].slice(-settings.windowSamples);
    const previousSample = old?.window[old.window.length - 1];
    const progressed = !previousSample || previousSample.committed !== offsets.committed || lag === 0;
    const lastProgressAtMs = progressed ? sample.atMs : (old?.lastProgressAtMs ?? sample.atMs);
    const age = lagAge(history, next, sample.atMs);
    ages.set(id, age);
    partitions.push({
      topic: offsets.topic,
      partition: offsets.partition,
      history,
      window,
      lastProgressAtMs,
    });
    lags.push({
      topic: offsets.topic,
      partition: offsets.partition,
      committed: offsets.committed,
      endOffset: offsets.endOffset,
      lag,
      lagSeconds: age.lagSeconds,
      status: partitionStatus(
        window,
        { lastProgressAtMs, lagSeconds: age.lagSeconds, members: sample.members },
        settings,
      ),
    });
  }
  const status = worstStatus(lags.map((p) => p.status));
  const notOkSinceMs = status === 'OK' ? null : (previous?.notOkSinceMs ?? sample.atMs);
  return {
    window: { group: sample.group, sampledAtMs: sample.atMs, status, notOkSinceMs, partitions },
    lag: {
      group: sample.group,
      status,
      members: sample.members,
      lag: lags.reduce((sum, p) => sum + p.lag, 0),
      lagSeconds: lags.reduce((max, p) => Math.max(max, p.lagSeconds), 0),
      partitions: lags,
    },
    ages,
  };
}
