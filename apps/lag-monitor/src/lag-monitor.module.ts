import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';

import { createKafka, KafkaProbe } from '@app/kafka';
import { LagStore } from '@app/lag';
import { JsonLogger, Metrics } from '@app/observability';
import { createRedisClient, type RedisClient } from '@app/redis';

import type { LagMonitorConfig } from './lag-monitor.config';
import { LagMonitorService } from './lag-monitor.service';
import { KAFKA, LAG_MONITOR_CONFIG, REDIS } from './lag-monitor.tokens';

@Module({})
export class LagMonitorModule implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly kafkaProbe: KafkaProbe,
  ) {}

  static forRoot(config: LagMonitorConfig, logger: JsonLogger, metrics = new Metrics('lag')): DynamicModule {
    return {
      module: LagMonitorModule,
      providers: [
        { provide: LAG_MONITOR_CONFIG, useValue: config },
        { provide: JsonLogger, useValue: logger },
        { provide: Metrics, useValue: metrics },
        { provide: KAFKA, useFactory: () => createKafka(config.kafka, logger) },
        { provide: KafkaProbe, inject: [KAFKA], useFactory: (kafka: Kafka) => new KafkaProbe(kafka) },
        {
          provide: REDIS,
          useFactory: async (): Promise<RedisClient> => {
            const redis = createRedisClient(config.redis, {
              name: 'lag-monitor',
              queueWhileDisconnected: true,
            });
            await redis.connect();
            return redis;
          },
        },
        { provide: LagStore, inject: [REDIS], useFactory: (redis: RedisClient) => new LagStore(redis) },
        LagMonitorService,
      ],
      exports: [Metrics],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.kafkaProbe.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
