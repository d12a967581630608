import { z } from 'zod';

import {
  ConfigError,
  DEFAULT_GROUP_IDS,
  env,
  OutputTopicSettings,
  parseEnv,
  serviceConfigOf,
  serviceSettings,
  subscriptionDestinationsOf,
  SubscriptionSettings,
  type ServiceConfig,
  type SubscriptionDestinations,
} from '@app/config';
import type { HttpTimeouts } from '@app/observability';

import { readTokensFile, type ApiToken } from './auth/tokens-file';

/** The API's environment (SPEC sections 7 and 10), parsed once at start-up. */
export const ApiEnv = serviceSettings({
  /** the API, the dashboard, /metrics and /health/* */
  HTTP_PORT: env.int(3000, 0, 65_535),
  TOKENS_FILE: env.string('deploy/config/tokens.json'),
  ALERTS_TOPIC: OutputTopicSettings.ALERTS_TOPIC,
  SUMMARIES_TOPIC: OutputTopicSettings.SUMMARIES_TOPIC,
  /** used only when the API creates a missing alerts or summaries topic (as the watch would) */
  OUTPUT_TOPIC_PARTITIONS: OutputTopicSettings.OUTPUT_TOPIC_PARTITIONS,
  /** the consumer group that feeds the alert and summary views; API instances share it */
  API_GROUP_ID: env.string(DEFAULT_GROUP_IDS.api),
  /** how many alert changes the change log behind GET /api/v1/alerts/stream keeps (approximately) */
  ALERT_STREAM_MAXLEN: env.int(200_000, 1_000, 100_000_000),
  /** seconds between heartbeat comments on an open alert stream */
  SSE_HEARTBEAT_SECONDS: env.int(15, 1, 300),
  /** open alert streams this process serves, in all and per token; beyond: 429 */
  SSE_MAX_STREAMS: env.int(1_000, 1, 1_000_000),
  SSE_MAX_STREAMS_PER_TOKEN: env.int(10, 1, 100_000),
  /** the most changes a resume (Last-Event-ID) replays; a longer gap gets a `reset` event */
  SSE_REPLAY_MAX: env.int(10_000, 1, 1_000_000),
  /** the largest request body (JSON) taken, in bytes; beyond: 413 */
  HTTP_BODY_LIMIT_BYTES: env.int(262_144, 1_024, 104_857_600),
  /** slow clients: the request headers, the whole request, an idle keep-alive connection */
  HTTP_HEADERS_TIMEOUT_SECONDS: env.int(10, 1, 600),
  HTTP_REQUEST_TIMEOUT_SECONDS: env.int(30, 1, 3_600),
  HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: env.int(5, 1, 600),
  KAFKA_SESSION_TIMEOUT_SECONDS: env.int(30, 6, 300),
  /** where subscriptions may send (as the notifier): refused at creation otherwise */
  ...SubscriptionSettings.shape,
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
  /** SUBSCRIPTION_*: a subscription to anywhere else is refused at creation */
  subscriptionDestinations: SubscriptionDestinations;
  stream: { maxStreams: number; maxStreamsPerToken: number; replayMax: number };
  bodyLimitBytes: number;
  /** runService applies them to the server of HTTP_PORT */
  httpTimeouts: HttpTimeouts;
}

export function loadApiConfig(source: NodeJS.ProcessEnv = process.env): ApiConfig {
  const e = parseEnv(ApiEnv, source);
  if (e.HTTP_HEADERS_TIMEOUT_SECONDS > e.HTTP_REQUEST_TIMEOUT_SECONDS)
    throw new ConfigError([
      `HTTP_HEADERS_TIMEOUT_SECONDS: must not exceed HTTP_REQUEST_TIMEOUT_SECONDS (got ${e.HTTP_HEADERS_TIMEOUT_SECONDS} > ${e.HTTP_REQUEST_TIMEOUT_SECONDS})`,
    ]);
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
    subscriptionDestinations: subscriptionDestinationsOf(e),
    stream: {
      maxStreams: e.SSE_MAX_STREAMS,
      maxStreamsPerToken: e.SSE_MAX_STREAMS_PER_TOKEN,
      replayMax: e.SSE_REPLAY_MAX,
    },
    bodyLimitBytes: e.HTTP_BODY_LIMIT_BYTES,
    httpTimeouts: {
      headersMs: e.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
      requestMs: e.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
      keepAliveMs: e.HTTP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
    },
  };
}
