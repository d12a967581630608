import { z } from 'zod';

import { LOG_LEVELS, type LogLevel } from '@app/observability';

import { kafkaConnectionOf, KafkaSettings, type KafkaConnectionSettings } from './kafka-settings';
import { RedisSettings } from './redis-settings';
import { RuleSettings, rulesOf, type Rules } from './rule-settings';

/** The environment every service reads (Kafka, Redis, the rules, LOG_LEVEL), extended with its own settings. */
export function serviceSettings<T extends z.ZodRawShape>(own: T) {
  return z.intersection(
    z.intersection(KafkaSettings, RedisSettings),
    RuleSettings.extend({ LOG_LEVEL: z.enum(LOG_LEVELS).default('info'), ...own }),
  );
}

/** What every service's configuration holds. */
export interface ServiceConfig {
  logLevel: LogLevel;
  kafka: KafkaConnectionSettings;
  redis: { url: string; clusterNodes: string[] };
  rules: Rules;
}

export function serviceConfigOf(
  e: KafkaSettings & RedisSettings & RuleSettings & { LOG_LEVEL: LogLevel },
): ServiceConfig {
  return {
    logLevel: e.LOG_LEVEL,
    kafka: kafkaConnectionOf(e),
    redis: { url: e.REDIS_URL, clusterNodes: e.REDIS_CLUSTER_NODES },
    rules: rulesOf(e),
  };
}
