import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';

import { FacilityCalendar } from '@app/calendar';
import { KafkaProbe } from '@app/kafka';
import { LedgerStore } from '@app/ledger';
import { JsonLogger, Metrics } from '@app/observability';
import type { RedisClient } from '@app/redis';
import { closeServiceClients, serviceProviders } from '@app/runtime';

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
        ...serviceProviders({
          name: 'ledger',
          config,
          tokens: { config: LEDGER_CONFIG, kafka: KAFKA, redis: REDIS },
          logger,
          metrics,
          queueWhileDisconnected: false,
        }),
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
    await closeServiceClients(this.kafkaProbe, this.redis);
  }
}
