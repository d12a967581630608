import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';

import { KafkaProbe } from '@app/kafka';
import { LagStore } from '@app/lag';
import { JsonLogger, Metrics } from '@app/observability';
import type { RedisClient } from '@app/redis';
import { closeServiceClients, serviceProviders } from '@app/runtime';

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
        ...serviceProviders({
          name: 'lag-monitor',
          config,
          tokens: { config: LAG_MONITOR_CONFIG, kafka: KAFKA, redis: REDIS },
          logger,
          metrics,
        }),
        { provide: LagStore, inject: [REDIS], useFactory: (redis: RedisClient) => new LagStore(redis) },
        LagMonitorService,
      ],
      exports: [Metrics],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await closeServiceClients(this.kafkaProbe, this.redis);
  }
}
