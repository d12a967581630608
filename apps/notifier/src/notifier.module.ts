import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';

import { createKafka, KafkaProbe } from '@app/kafka';
import { JsonLogger, Metrics } from '@app/observability';
import { createRedisClient, type RedisClient } from '@app/redis';
import { DeliveryQueue, SubscriptionStore } from '@app/subscriptions';

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
        { provide: NOTIFIER_CONFIG, useValue: config },
        { provide: JsonLogger, useValue: logger },
        { provide: Metrics, useValue: metrics },
        { provide: KAFKA, useFactory: () => createKafka(config.kafka, logger) },
        { provide: KafkaProbe, inject: [KAFKA], useFactory: (kafka: Kafka) => new KafkaProbe(kafka) },
        {
          provide: REDIS,
          useFactory: async (): Promise<RedisClient> => {
            const redis = createRedisClient(config.redis, { name: 'notifier', queueWhileDisconnected: true });
            await redis.connect();
            return redis;
          },
        },
        {
          provide: SubscriptionStore,
          inject: [REDIS],
          useFactory: (r: RedisClient) => new SubscriptionStore(r),
        },
        { provide: DeliveryQueue, inject: [REDIS], useFactory: (r: RedisClient) => new DeliveryQueue(r) },
        MessageFanOut,
        DeliverySender,
      ],
      exports: [Metrics],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.kafkaProbe.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
