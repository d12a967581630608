import { redactCredentials } from './redact';
import type { ServiceConfig } from './service-settings';

/** Where a service connects, as its logs may show it: addresses and modes, every password masked. */
export interface ConnectionsForLog {
  kafka: { brokers: string[]; ssl: boolean; sasl: string | null };
  redis: { url: string; clusterNodes: string[] };
}

/**
 * The Kafka and Redis addresses of a configuration, for a start-up log line. The only way a service
 * should print them: the SASL password is left out, and a password in the Redis URL is masked.
 */
export function connectionsForLog(config: Pick<ServiceConfig, 'kafka' | 'redis'>): ConnectionsForLog {
  return {
    kafka: {
      brokers: config.kafka.brokers.map(redactCredentials),
      ssl: config.kafka.ssl,
      sasl: config.kafka.sasl?.mechanism ?? null,
    },
    redis: {
      url: redactCredentials(config.redis.url),
      clusterNodes: config.redis.clusterNodes.map(redactCredentials),
    },
  };
}
