import { z } from 'zod';

import { env, KafkaSettings, parseEnv, RedisSettings, RuleSettings } from '@app/config';
import { LOG_LEVELS } from '@app/observability';

/** The ledger consumer's environment (SPEC section 10), parsed once at start-up. */
export const LedgerEnv = z.intersection(
  z.intersection(KafkaSettings, RedisSettings),
  RuleSettings.extend({
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    LEDGER_GROUP_ID: env.string('handover-ledger'),
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
  }),
);
export type LedgerEnv = z.infer<typeof LedgerEnv>;

export interface LedgerConfig {
  logLevel: LedgerEnv['LOG_LEVEL'];
  kafka: {
    brokers: string[];
    clientId: string;
    ssl: boolean;
    sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  };
  redis: { url: string; clusterNodes: string[] };
  scanTopic: string;
  deadLetterTopic: string;
  scanTopicPartitions: number;
  groupId: string;
  facilitiesFile: string;
  strictFacilities: boolean;
  limits: { maxEventBytes: number; maxClockSkewMs: number; dedupDays: number };
  orphanWaitMs: number;
  retentionMs: number;
  checkpointLagMs: number;
  partitionsConsumedConcurrently: number;
  sessionTimeoutMs: number;
}

const DAY_MS = 86_400_000;

export function loadLedgerConfig(source: NodeJS.ProcessEnv = process.env): LedgerConfig {
  const e = parseEnv(LedgerEnv, source);
  return {
    logLevel: e.LOG_LEVEL,
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID,
      ssl: e.KAFKA_SSL,
      sasl: e.KAFKA_SASL_MECHANISM
        ? {
            mechanism: e.KAFKA_SASL_MECHANISM,
            username: e.KAFKA_SASL_USERNAME ?? '',
            password: e.KAFKA_SASL_PASSWORD ?? '',
          }
        : undefined,
    },
    redis: { url: e.REDIS_URL, clusterNodes: e.REDIS_CLUSTER_NODES },
    scanTopic: e.SCAN_TOPIC,
    deadLetterTopic: `${e.SCAN_TOPIC}.dlq`,
    scanTopicPartitions: e.SCAN_TOPIC_PARTITIONS,
    groupId: e.LEDGER_GROUP_ID,
    facilitiesFile: e.FACILITIES_FILE,
    strictFacilities: e.STRICT_FACILITIES,
    limits: {
      maxEventBytes: e.MAX_EVENT_BYTES,
      maxClockSkewMs: e.MAX_CLOCK_SKEW_SECONDS * 1000,
      dedupDays: e.DEDUP_DAYS,
    },
    orphanWaitMs: e.ORPHAN_WAIT_MINUTES * 60_000,
    // one day beyond the dedup window: a late scan still finds the history it belongs to
    retentionMs: (e.DEDUP_DAYS + 1) * DAY_MS,
    checkpointLagMs: e.CHECKPOINT_LAG_SECONDS * 1000,
    partitionsConsumedConcurrently: e.PARTITIONS_CONSUMED_CONCURRENTLY,
    sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_SECONDS * 1000,
  };
}
