import { hostname } from 'node:os';

import { z } from 'zod';

import {
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
import type { RobotChannel, RobotWindow } from '@app/subscriptions';

const seconds = (fallback: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .default(String(fallback))
    .pipe(z.coerce.number({ invalid_type_error: 'must be a number' }).min(min).max(max));

/** The notifier's environment, parsed once at start-up. */
export const NotifierEnv = serviceSettings({
  ALERTS_TOPIC: OutputTopicSettings.ALERTS_TOPIC,
  SUMMARIES_TOPIC: OutputTopicSettings.SUMMARIES_TOPIC,
  /** as the watch: the partitions of the output topics, when the notifier starts first and creates them */
  OUTPUT_TOPIC_PARTITIONS: OutputTopicSettings.OUTPUT_TOPIC_PARTITIONS,
  NOTIFIER_GROUP_ID: env.string(DEFAULT_GROUP_IDS.notifier),
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
  /**
   * messages a minute to one robot, over every subscription on it (the vendors count per robot, not
   * per subscription); what is due beyond is merged into the next message
   */
  NOTIFIER_DINGTALK_PER_MINUTE: env.int(20, 1, 10_000),
  NOTIFIER_WECOM_PER_MINUTE: env.int(20, 1, 10_000),
  NOTIFIER_FEISHU_PER_MINUTE: env.int(100, 1, 10_000),
  NOTIFIER_FEISHU_PER_SECOND: env.int(5, 1, 10_000),
  /**
   * how long a robot's minute is counted here: the window of the per-minute budgets (with a second
   * of margin for clocks and network delay), and the unit of a vendor's block after "too fast"
   * (DingTalk 10 minutes, WeCom and Feishu 1); tests shorten it
   */
  NOTIFIER_ROBOT_MINUTE_SECONDS: seconds(61, 0.2, 3_600),
  NOTIFIER_SEND_TIMEOUT_SECONDS: seconds(10, 0.1, 300),
  /** subscriptions sent to at once by one instance */
  NOTIFIER_CONCURRENCY: env.int(8, 1, 256),
  /** how often the sender looks for due deliveries when idle */
  NOTIFIER_POLL_MS: env.int(500, 20, 60_000),
  /** the API's public address, for Alertmanager's generatorURL */
  NOTIFIER_PUBLIC_URL: z.string().trim().url().default('http://localhost:3000'),
  /**
   * how often an Alertmanager subscription re-sends every alert it holds (Alertmanager asks its
   * clients for 30 s to 3 min; 60 s is Prometheus's own resend delay); a FIRING alert's endsAt is
   * ALERTMANAGER_HORIZON_INTERVALS of these ahead. Below 30 s for tests only
   */
  NOTIFIER_ALERTMANAGER_RESEND_SECONDS: seconds(60, 0.2, 180),
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
  /** per robot channel, the sliding windows of its vendor's rate limit */
  robotWindows: Record<RobotChannel, RobotWindow[]>;
  robotMinuteMs: number;
  sendTimeoutMs: number;
  concurrency: number;
  pollMs: number;
  publicUrl: string;
  alertmanagerResendMs: number;
  destinations: SubscriptionDestinations;
}

/** A FIRING alert's endsAt is this many re-send intervals ahead (Prometheus: 4). */
export const ALERTMANAGER_HORIZON_INTERVALS = 4;

/** Feishu's "5 a second", counted over a little more than a second for network delay. */
const ROBOT_SECOND_MS = 1_200;

function robotWindowsOf(e: NotifierEnv): Record<RobotChannel, RobotWindow[]> {
  const minuteMs = Math.round(e.NOTIFIER_ROBOT_MINUTE_SECONDS * 1000);
  return {
    dingtalk: [{ ms: minuteMs, max: e.NOTIFIER_DINGTALK_PER_MINUTE }],
    wecom: [{ ms: minuteMs, max: e.NOTIFIER_WECOM_PER_MINUTE }],
    feishu: [
      { ms: minuteMs, max: e.NOTIFIER_FEISHU_PER_MINUTE },
      { ms: ROBOT_SECOND_MS, max: e.NOTIFIER_FEISHU_PER_SECOND },
    ],
  };
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
    robotWindows: robotWindowsOf(e),
    robotMinuteMs: Math.round(e.NOTIFIER_ROBOT_MINUTE_SECONDS * 1000),
    sendTimeoutMs: Math.round(e.NOTIFIER_SEND_TIMEOUT_SECONDS * 1000),
    concurrency: e.NOTIFIER_CONCURRENCY,
    pollMs: e.NOTIFIER_POLL_MS,
    publicUrl: e.NOTIFIER_PUBLIC_URL,
    alertmanagerResendMs: Math.round(e.NOTIFIER_ALERTMANAGER_RESEND_SECONDS * 1000),
    destinations: subscriptionDestinationsOf(e),
  };
}
