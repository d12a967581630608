import { z } from 'zod';

import type { RedisClient } from '@app/redis';

import { lagKeys } from './keys';

export const LagStatus = z.enum(['OK', 'WARN', 'STALL', 'STOP']);
export type LagStatus = z.infer<typeof LagStatus>;

/** Worst first: a group's status is that of its worst partition. */
export const LAG_STATUS_RANK: Record<LagStatus, number> = { OK: 0, WARN: 1, STALL: 2, STOP: 3 };

export const PartitionLag = z.object({
  topic: z.string(),
  partition: z.number().int().nonnegative(),
  /** null: the group has never committed on this partition */
  committed: z.number().int().nullable(),
  endOffset: z.number().int().nonnegative(),
  lag: z.number().int().nonnegative(),
  lagSeconds: z.number().nonnegative(),
  status: LagStatus,
});
export type PartitionLag = z.infer<typeof PartitionLag>;

export const GroupLag = z.object({
  group: z.string(),
  status: LagStatus,
  /** live members of the group; 0 is reported too (a stopped consumer still has committed offsets) */
  members: z.number().int().nonnegative(),
  /** sum over partitions */
  lag: z.number().int().nonnegative(),
  /** the largest over partitions */
  lagSeconds: z.number().nonnegative(),
  partitions: z.array(PartitionLag),
});
export type GroupLag = z.infer<typeof GroupLag>;

export const LagReport = z.object({
  sampledAt: z.string().datetime({ offset: true }),
  intervalSeconds: z.number().positive(),
  groups: z.array(GroupLag),
});
export type LagReport = z.infer<typeof LagReport>;

/** The latest report the lag monitor stored in Redis, or null if it has not sampled yet. */
export async function readLagReport(redis: RedisClient): Promise<LagReport | null> {
  const raw = await redis.get(lagKeys.report());
  if (raw === null) return null;
  return LagReport.parse(JSON.parse(raw));
}

/** Stores the report readLagReport returns (the lag monitor, after each sample). */
export async function writeLagReport(redis: RedisClient, report: LagReport): Promise<void> {
  await redis.set(lagKeys.report(), JSON.stringify(report));
}
