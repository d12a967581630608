import { env, parseEnv, serviceConfigOf, serviceSettings, type ServiceConfig } from '@app/config';

/** The naive peer's environment: the ledger's (Kafka, Redis, the rules) and its own group. */
export const NaivePeerEnv = serviceSettings({
  NAIVE_GROUP_ID: env.string('handover-naive-peer'),
  PARTITIONS_CONSUMED_CONCURRENTLY: env.int(2, 1, 64),
  KAFKA_SESSION_TIMEOUT_SECONDS: env.int(30, 6, 300),
});

export interface NaivePeerConfig extends ServiceConfig {
  groupId: string;
  deadLetterTopic: string;
  partitionsConsumedConcurrently: number;
  sessionTimeoutMs: number;
}

export function loadNaivePeerConfig(source: NodeJS.ProcessEnv = process.env): NaivePeerConfig {
  const e = parseEnv(NaivePeerEnv, source);
  return {
    ...serviceConfigOf(e),
    groupId: e.NAIVE_GROUP_ID,
    deadLetterTopic: `${e.SCAN_TOPIC}.dlq`,
    partitionsConsumedConcurrently: e.PARTITIONS_CONSUMED_CONCURRENTLY,
    sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_SECONDS * 1000,
  };
}
