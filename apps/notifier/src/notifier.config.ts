import { hostname } from 'node:os';

import { z } from 'zod';

import {
  env,
  parseEnv,
  serviceConfigOf,
  serviceSettings,
  SubscriptionSettings,
  subscriptionDestinationsOf,
  type ServiceConfig,
  type SubscriptionDestinations,
} from '@app/config';
import { DefaultTopic } from '@app/contracts';

const seconds = (fallback: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .default(String(fallback))
    .pipe(z.coerce.number({ invalid_type_error: 'must be a number' }).min(min).max(max));

/** The notifier's environment, parsed once at start-up. */
export const NotifierEnv = serviceSettings({
  ALERTS_TOPIC: env.string(DefaultTopic.alerts),
  SUMMARIES_TOPIC: env.string(DefaultTopic.shiftSummaries),
  /** as the watch: the partitions of the output topics, when the notifier starts first and creates them */
  OUTPUT_TOPIC_PARTITIONS: env.int(6, 1, 10_000),
  NOTIFIER_GROUP_ID: env.string('handover-notifier'),
  /**
   * a group with no committed offsets reads the topics from their beginning (true) or their end; either
   * way a subscription gets only what was published after it was created
   */
  NOTIFIER_FROM_BEGINNING: env.bool(true),
  /** how long the group waits for an instance that stopped heartbeating (killed) before moving its partitions */
  KAFKA_SESSION_TIMEOUT_SECONDS: env.int(30, 6, 300),
  NOTIFIER_INSTANCE_ID: env.optionalString(),
  /** GET /metrics, /health/live and /health/ready; 0: a free port */
  NOTIFIER_METRICS_PORT: env.int(9467, 0, 65_535),
  /** first retry after about this long; doubled on each failure, with jitter */
  NOTIFIER_RETRY_BASE_SECONDS: seconds(5, 0.05, 3_600),
  NOTIFIER_RETRY_MAX_SECONDS: seconds(600, 0.1, 86_400),
  /** a delivery not sent this long after it was queued is abandoned (counted, shown in the API) */
  NOTIFIER_GIVE_UP_HOURS: seconds(48, 0.0001, 24 * 365),
  /** requests per minute to one chat robot (dingtalk, wecom, feishu); what is due beyond is merged */
  NOTIFIER_CHAT_PER_MINUTE: env.int(20, 1, 10_000),
  NOTIFIER_SEND_TIMEOUT_SECONDS: seconds(10, 0.1, 300),
  /** subscriptions sent to at once by one instance */
  NOTIFIER_CONCURRENCY: env.int(8, 1, 256),
  /** how often the sender looks for due deliveries when idle */
  NOTIFIER_POLL_MS: env.int(500, 20, 60_000),
  /** the API's public address, for Alertmanager's generatorURL */
  NOTIFIER_PUBLIC_URL: z.string().trim().url().default('http://localhost:3000'),
  /** a FIRING alert sent to Alertmanager carries endsAt = send time + this (it is not re-sent) */
  NOTIFIER_ALERTMANAGER_HOLD_HOURS: seconds(24, 0.01, 24 * 30),
  /** where subscriptions may send: SUBSCRIPTION_ALLOWED_NETWORKS, _ALLOW_HTTP, _ROBOT_PROXY_HOSTS (as the API) */
  ...SubscriptionSettings.shape,
});
export type NotifierEnv = z.infer<typeof NotifierEnv>;

export interface NotifierConfig extends ServiceConfig {
  alertsTopic: string;
  summariesTopic: string;
  outputTopicPartitions: number;
  groupId: string;
  fromBeginning: boolean;
  sessionTimeoutMs: number;
  instanceId: string;
  metricsPort: number;
  retryBaseMs: number;
  retryMaxMs: number;
  giveUpMs: number;
  chatPerMinute: number;
  sendTimeoutMs: number;
  concurrency: number;
  pollMs: number;
  publicUrl: string;
  alertmanagerHoldMs: number;
  destinations: SubscriptionDestinations;
}

export function loadNotifierConfig(source: NodeJS.ProcessEnv = process.env): NotifierConfig {
  const e = parseEnv(NotifierEnv, source);
  return {
    ...serviceConfigOf(e),
    alertsTopic: e.ALERTS_TOPIC,
    summariesTopic: e.SUMMARIES_TOPIC,
    outputTopicPartitions: e.OUTPUT_TOPIC_PARTITIONS,
    groupId: e.NOTIFIER_GROUP_ID,
    fromBeginning: e.NOTIFIER_FROM_BEGINNING,
    sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_SECONDS * 1000,
    instanceId:
      e.NOTIFIER_INSTANCE_ID ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    metricsPort: e.NOTIFIER_METRICS_PORT,
    retryBaseMs: Math.round(e.NOTIFIER_RETRY_BASE_SECONDS * 1000),
    retryMaxMs: Math.round(Math.max(e.NOTIFIER_RETRY_MAX_SECONDS, e.NOTIFIER_RETRY_BASE_SECONDS) * 1000),
    giveUpMs: Math.round(e.NOTIFIER_GIVE_UP_HOURS * 3_600_000),
    chatPerMinute: e.NOTIFIER_CHAT_PER_MINUTE,
    sendTimeoutMs: Math.round(e.NOTIFIER_SEND_TIMEOUT_SECONDS * 1000),
    concurrency: e.NOTIFIER_CONCURRENCY,
    pollMs: e.NOTIFIER_POLL_MS,
    publicUrl: e.NOTIFIER_PUBLIC_URL,
    alertmanagerHoldMs: Math.round(e.NOTIFIER_ALERTMANAGER_HOLD_HOURS * 3_600_000),
    destinations: subscriptionDestinationsOf(e),
  };
}
