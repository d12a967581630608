import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';

import { FacilityCalendar } from '@app/calendar';
import { LedgerStore } from '@app/ledger';
import { createRedisClient, type RedisClient } from '@app/redis';

import { ScanIntake } from '../../../apps/ledger/src/scan-intake';
import type { NaivePeerConfig } from './naive-peer.config';
import { scanControllerFor } from './scan.controller';

const REDIS = Symbol('REDIS');

@Module({})
export class NaivePeerModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  static forRoot(config: NaivePeerConfig): DynamicModule {
    return {
      module: NaivePeerModule,
      controllers: [scanControllerFor(config.rules.scanTopic, config.deadLetterTopic)],
      providers: [
        {
          provide: REDIS,
          useFactory: async (): Promise<RedisClient> => {
            const redis = createRedisClient(config.redis, {
              name: 'naive-peer',
              queueWhileDisconnected: true,
            });
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
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
