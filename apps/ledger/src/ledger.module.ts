import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';

import { FacilityCalendar } from '@app/calendar';
import { createKafka, KafkaProbe } from '@app/kafka';
import { LedgerStore } from '@app/ledger';
import { JsonLogger, Metrics } from '@app/observability';
import { createRedisClient, type RedisClient } from '@app/redis';

import type { LedgerConfig } from './ledger.config';
import { KAFKA, LEDGER_CONFIG, REDIS } from './ledger.tokens';
import { ScanConsumer } from './scan-consumer';
import { ScanIntake } from './scan-intake';

@Module({})
export class LedgerModule implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly kafkaProbe: KafkaProbe,
  ) {}

  static forRoot(config: LedgerConfig, logger: JsonLogger, metrics = new Metrics('ledger')): DynamicModule {
    return {
      module: LedgerModule,
      providers: [
        { provide: LEDGER_CONFIG, useValue: config },
        { provide: JsonLogger, useValue: logger },
        { provide: Metrics, useValue: metrics },
        { provide: KAFKA, useFactory: (): Kafka => createKafka(config.kafka, logger) },
        { provide: KafkaProbe, inject: [KAFKA], useFactory: (kafka: Kafka) => new KafkaProbe(kafka) },
        {
          provide: REDIS,
          useFactory: async (): Promise<RedisClient> => {
            const redis = createRedisClient(config.redis, { name: 'ledger', queueWhileDisconnected: false });
            await redis.connect();
            return redis;
          },
        },
        {
          provide: LedgerStore,
          inject: [REDIS],
          useFactory: (redis: RedisClient) =>
            new LedgerStore(redis, {
              orphanWaitMs: config.rules.orphanWaitMs,
              retentionMs: config.rules.retentionMs,
              deadlines: config.rules.deadlines,
              graceMs: config.rules.graceMs,
            }),
        },
        {
          provide: ScanIntake,
          useFactory: () =>
            new ScanIntake(
              FacilityCalendar.fromFile(config.rules.facilitiesFile),
              config.rules.limits,
              config.rules.strictFacilities,
            ),
        },
        ScanConsumer,
      ],
      exports: [LedgerStore, Metrics],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.kafkaProbe.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
