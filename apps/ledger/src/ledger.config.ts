import { z } from 'zod';

import {
  DEFAULT_GROUP_IDS,
  env,
  parseEnv,
  serviceConfigOf,
  serviceSettings,
  type ServiceConfig,
} from '@app/config';

/** The ledger consumer's environment (SPEC section 10), parsed once at start-up. */
export const LedgerEnv = serviceSettings({
  LEDGER_GROUP_ID: env.string(DEFAULT_GROUP_IDS.ledger),
  SCAN_TOPIC_PARTITIONS: env.int(12, 1, 10_000),
  /**
   * How far behind the newest applied offset the position kept in Redis stays. It must exceed the
   * writes Redis can lose (appendfsync everysec: up to about 2 s), so that the position never runs
   * ahead of what Redis still has after a crash, whichever Redis node the position lives on.
   */
  CHECKPOINT_LAG_SECONDS: env.int(5, 0, 600),
  PARTITIONS_CONSUMED_CONCURRENTLY: env.int(2, 1, 64),
  /** how long the group waits for a silent member (a crashed one) before giving its partitions away */
  KAFKA_SESSION_TIMEOUT_SECONDS: env.int(30, 6, 300),
  /** GET /metrics, /health/live and /health/ready; 0: a free port */
  LEDGER_METRICS_PORT: env.int(9464, 0, 65_535),
});
export type LedgerEnv = z.infer<typeof LedgerEnv>;

export interface LedgerConfig extends ServiceConfig {
  deadLetterTopic: string;
  scanTopicPartitions: number;
  groupId: string;
  checkpointLagMs: number;
  partitionsConsumedConcurrently: number;
  sessionTimeoutMs: number;
  metricsPort: number;
}

export function loadLedgerConfig(source: NodeJS.ProcessEnv = process.env): LedgerConfig {
  const e = parseEnv(LedgerEnv, source);
  return {
    ...serviceConfigOf(e),
    deadLetterTopic: `${e.SCAN_TOPIC}.dlq`,
    scanTopicPartitions: e.SCAN_TOPIC_PARTITIONS,
    groupId: e.LEDGER_GROUP_ID,
    checkpointLagMs: e.CHECKPOINT_LAG_SECONDS * 1000,
    partitionsConsumedConcurrently: e.PARTITIONS_CONSUMED_CONCURRENTLY,
    sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_SECONDS * 1000,
    metricsPort: e.LEDGER_METRICS_PORT,
  };
}
