import type { Provider } from '@nestjs/common';
import type { Kafka } from 'kafkajs';

import type { ServiceConfig } from '@app/config';
import { createKafka, KafkaProbe } from '@app/kafka';
import { JsonLogger, Metrics } from '@app/observability';
import { createRedisClient, type RedisClient } from '@app/redis';

export interface ServiceProvidersOptions<C extends ServiceConfig> {
  /** names the Redis connection (CLIENT LIST) */
  name: string;
  config: C;
  /** the injection tokens of the service's own config, Kafka client and Redis client */
  tokens: { config: symbol; kafka: symbol; redis: symbol };
  logger: JsonLogger;
  metrics: Metrics;
  /**
   * Whether Redis commands wait (and are resent) across a reconnect. The ledger says no: it must
   * notice lost writes and rewind, never have a script resent behind its back.
   */
  queueWhileDisconnected?: boolean;
}

/**
 * What every service's module starts with: its config, the JSON logger, its metrics, a Kafka client
 * with its reachability probe, and a connected Redis client (single node or Cluster).
 */
export function serviceProviders<C extends ServiceConfig>(options: ServiceProvidersOptions<C>): Provider[] {
  const { config, logger, tokens } = options;
  return [
    { provide: tokens.config, useValue: config },
    { provide: JsonLogger, useValue: logger },
    { provide: Metrics, useValue: options.metrics },
    { provide: tokens.kafka, useFactory: (): Kafka => createKafka(config.kafka, logger) },
    { provide: KafkaProbe, inject: [tokens.kafka], useFactory: (kafka: Kafka) => new KafkaProbe(kafka) },
    {
      provide: tokens.redis,
      useFactory: async (): Promise<RedisClient> => {
        const redis = createRedisClient(config.redis, {
          name: options.name,
          queueWhileDisconnected: options.queueWhileDisconnected ?? true,
          log: logger.child('redis'),
        });
        await redis.connect();
        return redis;
      },
    },
  ];
}

/** Closes what serviceProviders opened, at the module's shutdown. */
export async function closeServiceClients(kafkaProbe: KafkaProbe, redis: RedisClient): Promise<void> {
  await kafkaProbe.close();
  await redis.quit().catch(() => redis.disconnect());
}
