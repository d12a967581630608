import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';

import { KafkaProbe } from '@app/kafka';
import { JsonLogger, Metrics } from '@app/observability';
import type { RedisClient } from '@app/redis';
import { closeServiceClients, serviceProviders } from '@app/runtime';
import { AlertmanagerState, DeliveryQueue, RobotBudget, SubscriptionStore } from '@app/subscriptions';

import { AlertmanagerSender } from './alertmanager-sender';
import { DeliverySender } from './delivery-sender';
import { MessageFanOut } from './message-fan-out';
import type { NotifierConfig } from './notifier.config';
import { KAFKA, NOTIFIER_CONFIG, REDIS } from './notifier.tokens';

@Module({})
export class NotifierModule implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly kafkaProbe: KafkaProbe,
  ) {}

  static forRoot(
    config: NotifierConfig,
    logger: JsonLogger,
    metrics = new Metrics('notifier'),
  ): DynamicModule {
    return {
      module: NotifierModule,
      providers: [
        ...serviceProviders({
          name: 'notifier',
          config,
          tokens: { config: NOTIFIER_CONFIG, kafka: KAFKA, redis: REDIS },
          logger,
          metrics,
        }),
        {
          provide: SubscriptionStore,
          inject: [REDIS],
          useFactory: (r: RedisClient) => new SubscriptionStore(r),
        },
        { provide: DeliveryQueue, inject: [REDIS], useFactory: (r: RedisClient) => new DeliveryQueue(r) },
        { provide: RobotBudget, inject: [REDIS], useFactory: (r: RedisClient) => new RobotBudget(r) },
        {
          provide: AlertmanagerState,
          inject: [REDIS],
          useFactory: (r: RedisClient) => new AlertmanagerState(r),
        },
        AlertmanagerSender,
        MessageFanOut,
        DeliverySender,
      ],
      exports: [Metrics],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await closeServiceClients(this.kafkaProbe, this.redis);
  }
}
