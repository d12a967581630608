import { hostname } from 'node:os';

import { z } from 'zod';

import {
  ConfigError,
  DEFAULT_GROUP_IDS,
  env,
  OutputTopicSettings,
  parseEnv,
  serviceConfigOf,
  serviceSettings,
  type ServiceConfig,
} from '@app/config';
import type { WindowSettings } from '@app/lag';

/** Minutes, fractions allowed (0.1 = 6 s, for tests and drills). */
const minutes = (fallback: number, min: number) =>
  z
    .string()
    .trim()
    .default(String(fallback))
    .pipe(z.coerce.number({ invalid_type_error: 'must be a number of minutes' }).min(min).max(10_080));

/** The system's own consumer groups: the ledger, and the API's and notifier's. */
export const DEFAULT_LAG_GROUPS: string[] = Object.values(DEFAULT_GROUP_IDS);

/** The lag monitor's environment (SPEC section 8), parsed once at start-up. */
export const LagMonitorEnv = serviceSettings({
  /** consumer groups to sample, comma-separated */
  LAG_GROUPS: env.list(),
  LAG_INTERVAL_SECONDS: env.int(10, 1, 3_600),
  /** samples in the sliding window over which WARN and STALL are judged */
  LAG_WINDOW_SAMPLES: env.int(10, 2, 1_000),
  /** STOP: lag and no commit for this long */
  LAG_STOP_MINUTES: minutes(5, 0.01),
  /** a lag of at most this many messages never warns */
  LAG_ALLOWED_LAG: env.int(1_000, 0, 1_000_000_000),
  /** a lag of at most this many seconds never warns either; 0: only LAG_ALLOWED_LAG counts */
  LAG_ALLOWED_LAG_SECONDS: env.int(0, 0, 86_400),
  /** points kept per partition of its log-end history, for lag in seconds */
  LAG_HISTORY_POINTS: env.int(120, 2, 10_000),
  /** CONSUMER_LAG fires once a group has not been OK for this long */
  LAG_ALERT_MINUTES: minutes(5, 0),
  /** how long a killed active monitor keeps its lease before a standby takes over */
  LAG_LEASE_SECONDS: env.int(30, 2, 3_600),
  LAG_INSTANCE_ID: env.optionalString(),
  /** GET /metrics, /health/live and /health/ready; 0: a free port */
  LAG_METRICS_PORT: env.int(9466, 0, 65_535),
  ALERTS_TOPIC: OutputTopicSettings.ALERTS_TOPIC,
  /** used only when the monitor creates a missing alerts topic (as the watch does) */
  OUTPUT_TOPIC_PARTITIONS: OutputTopicSettings.OUTPUT_TOPIC_PARTITIONS,
});
export type LagMonitorEnv = z.infer<typeof LagMonitorEnv>;

export interface LagMonitorConfig extends ServiceConfig {
  groups: string[];
  intervalMs: number;
  window: WindowSettings;
  alertMs: number;
  leaseMs: number;
  instanceId: string;
  metricsPort: number;
  alertsTopic: string;
  outputTopicPartitions: number;
}

export function loadLagMonitorConfig(source: NodeJS.ProcessEnv = process.env): LagMonitorConfig {
  const e = parseEnv(LagMonitorEnv, source);
  if (e.LAG_LEASE_SECONDS < 2 * e.LAG_INTERVAL_SECONDS) {
    throw new ConfigError([
      `LAG_LEASE_SECONDS: must be at least twice LAG_INTERVAL_SECONDS (${e.LAG_INTERVAL_SECONDS}), ` +
        `or a standby takes over between two samples (got "${e.LAG_LEASE_SECONDS}")`,
    ]);
  }
  return {
    ...serviceConfigOf(e),
    groups: e.LAG_GROUPS.length > 0 ? [...new Set(e.LAG_GROUPS)] : DEFAULT_LAG_GROUPS,
    intervalMs: e.LAG_INTERVAL_SECONDS * 1000,
    window: {
      windowSamples: e.LAG_WINDOW_SAMPLES,
      stopMs: Math.round(e.LAG_STOP_MINUTES * 60_000),
      allowedLag: e.LAG_ALLOWED_LAG,
      allowedLagSeconds: e.LAG_ALLOWED_LAG_SECONDS,
      historyPoints: e.LAG_HISTORY_POINTS,
    },
    alertMs: Math.round(e.LAG_ALERT_MINUTES * 60_000),
    leaseMs: e.LAG_LEASE_SECONDS * 1000,
    instanceId: e.LAG_INSTANCE_ID ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    metricsPort: e.LAG_METRICS_PORT,
    alertsTopic: e.ALERTS_TOPIC,
    outputTopicPartitions: e.OUTPUT_TOPIC_PARTITIONS,
  };
}
