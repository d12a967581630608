import { hostname } from 'node:os';

import { z } from 'zod';

import {
  env,
  OutputTopicSettings,
  parseEnv,
  serviceConfigOf,
  serviceSettings,
  type ServiceConfig,
} from '@app/config';

/** The watch's environment, parsed once at start-up. */
export const WatchEnv = serviceSettings({
  ...OutputTopicSettings,
  /** facilities are split into this many shards; each is watched by one instance at a time */
  WATCH_SHARDS: env.int(16, 1, 1_024),
  WATCH_TICK_MS: env.int(500, 50, 60_000),
  /** how long a shard stays with an instance that stopped renewing it */
  WATCH_LEASE_SECONDS: env.int(10, 2, 600),
  WATCH_INSTANCE_ID: env.optionalString(),
  /** GET /metrics, /health/live and /health/ready; 0: a free port */
  WATCH_METRICS_PORT: env.int(9465, 0, 65_535),
  /** how often handover_open_handoffs is counted (two Redis commands per facility held) */
  WATCH_OPEN_HANDOFFS_SECONDS: env.int(15, 1, 3_600),
});
export type WatchEnv = z.infer<typeof WatchEnv>;

export interface WatchConfig extends ServiceConfig {
  alertsTopic: string;
  summariesTopic: string;
  outputTopicPartitions: number;
  shards: number;
  tickMs: number;
  leaseMs: number;
  instanceId: string;
  metricsPort: number;
  openHandOffsEveryMs: number;
}

export function loadWatchConfig(source: NodeJS.ProcessEnv = process.env): WatchConfig {
  const e = parseEnv(WatchEnv, source);
  return {
    ...serviceConfigOf(e),
    alertsTopic: e.ALERTS_TOPIC,
    summariesTopic: e.SUMMARIES_TOPIC,
    outputTopicPartitions: e.OUTPUT_TOPIC_PARTITIONS,
    shards: e.WATCH_SHARDS,
    tickMs: e.WATCH_TICK_MS,
    leaseMs: e.WATCH_LEASE_SECONDS * 1000,
    instanceId:
      e.WATCH_INSTANCE_ID ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    metricsPort: e.WATCH_METRICS_PORT,
    openHandOffsEveryMs: e.WATCH_OPEN_HANDOFFS_SECONDS * 1000,
  };
}
