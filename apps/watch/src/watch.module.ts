import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';

import { FacilityCalendar } from '@app/calendar';
import { createKafka, KafkaProbe } from '@app/kafka';
import { WatchStore } from '@app/ledger';
import { JsonLogger, Metrics } from '@app/observability';
import { createRedisClient, type RedisClient } from '@app/redis';

import type { WatchConfig } from './watch.config';
import { WatchService } from './watch.service';
import { KAFKA, REDIS, WATCH_CONFIG } from './watch.tokens';

@Module({})
export class WatchModule implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly kafkaProbe: KafkaProbe,
  ) {}

  static forRoot(config: WatchConfig, logger: JsonLogger, metrics = new Metrics('watch')): DynamicModule {
    return {
      module: WatchModule,
      providers: [
        { provide: WATCH_CONFIG, useValue: config },
        { provide: JsonLogger, useValue: logger },
        { provide: Metrics, useValue: metrics },
        { provide: KAFKA, useFactory: () => createKafka(config.kafka, logger) },
        { provide: KafkaProbe, inject: [KAFKA], useFactory: (kafka: Kafka) => new KafkaProbe(kafka) },
        {
          provide: REDIS,
          useFactory: async (): Promise<RedisClient> => {
            const redis = createRedisClient(config.redis, { name: 'watch', queueWhileDisconnected: true });
            await redis.connect();
            return redis;
          },
        },
        {
          provide: WatchStore,
          inject: [REDIS],
          useFactory: (redis: RedisClient) =>
            new WatchStore(redis, {
              retentionMs: config.rules.retentionMs,
              deadlines: config.rules.deadlines,
              graceMs: config.rules.graceMs,
              summaryCoalesceMs: config.rules.summaryCoalesceMs,
            }),
        },
        {
          provide: FacilityCalendar,
          useFactory: () => FacilityCalendar.fromFile(config.rules.facilitiesFile),
        },
        WatchService,
      ],
      exports: [Metrics],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.kafkaProbe.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
