import { z } from 'zod';

import {
  ConfigError,
  env,
  parseEnv,
  serviceConfigOf,
  serviceSettings,
  type ServiceConfig,
} from '@app/config';
import { DefaultTopic } from '@app/contracts';

import { readTokensFile, type ApiToken } from './auth/tokens-file';

/** The API's environment (SPEC sections 7 and 10), parsed once at start-up. */
export const ApiEnv = serviceSettings({
  /** the API, the dashboard, /metrics and /health/* */
  HTTP_PORT: env.int(3000, 0, 65_535),
  TOKENS_FILE: env.string('deploy/config/tokens.json'),
  ALERTS_TOPIC: env.string(DefaultTopic.alerts),
  SUMMARIES_TOPIC: env.string(DefaultTopic.shiftSummaries),
  /** used only when the API creates a missing alerts or summaries topic (as the watch would) */
  OUTPUT_TOPIC_PARTITIONS: env.int(6, 1, 10_000),
  /** the consumer group that feeds the alert and summary views; API instances share it */
  API_GROUP_ID: env.string('handover-api'),
  /** how many alert changes the change log behind GET /api/v1/alerts/stream keeps (approximately) */
  ALERT_STREAM_MAXLEN: env.int(200_000, 1_000, 100_000_000),
  /** seconds between heartbeat comments on an open alert stream */
  SSE_HEARTBEAT_SECONDS: env.int(15, 1, 300),
  KAFKA_SESSION_TIMEOUT_SECONDS: env.int(30, 6, 300),
});
export type ApiEnv = z.infer<typeof ApiEnv>;

export interface ApiConfig extends ServiceConfig {
  /** HTTP_PORT: runService serves /metrics and /health/* there too */
  metricsPort: number;
  tokensFile: string;
  tokens: ApiToken[];
  alertsTopic: string;
  summariesTopic: string;
  outputTopicPartitions: number;
  groupId: string;
  streamMaxLen: number;
  heartbeatMs: number;
  sessionTimeoutMs: number;
}

export function loadApiConfig(source: NodeJS.ProcessEnv = process.env): ApiConfig {
  const e = parseEnv(ApiEnv, source);
  const tokens = readTokensFile(e.TOKENS_FILE);
  if (!tokens.ok) throw new ConfigError(tokens.problems.map((p) => `TOKENS_FILE: ${p}`));
  return {
    ...serviceConfigOf(e),
    metricsPort: e.HTTP_PORT,
    tokensFile: e.TOKENS_FILE,
    tokens: tokens.tokens,
    alertsTopic: e.ALERTS_TOPIC,
    summariesTopic: e.SUMMARIES_TOPIC,
    outputTopicPartitions: e.OUTPUT_TOPIC_PARTITIONS,
    groupId: e.API_GROUP_ID,
    streamMaxLen: e.ALERT_STREAM_MAXLEN,
    heartbeatMs: e.SSE_HEARTBEAT_SECONDS * 1000,
    sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_SECONDS * 1000,
  };
}
