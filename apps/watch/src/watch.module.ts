import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';

import { FacilityCalendar } from '@app/calendar';
import { KafkaProbe } from '@app/kafka';
import { WatchStore } from '@app/ledger';
import { JsonLogger, Metrics } from '@app/observability';
import type { RedisClient } from '@app/redis';
import { closeServiceClients, serviceProviders } from '@app/runtime';

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
        ...serviceProviders({
          name: 'watch',
          config,
          tokens: { config: WATCH_CONFIG, kafka: KAFKA, redis: REDIS },
          logger,
          metrics,
        }),
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
    await closeServiceClients(this.kafkaProbe, this.redis);
  }
}
