import {
  Inject,
  Module,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';

import { FacilityCalendar } from '@app/calendar';
import { KafkaProbe } from '@app/kafka';
import { AlertActions } from '@app/ledger';
import { JsonLogger, Metrics } from '@app/observability';
import type { RedisClient } from '@app/redis';
import { closeServiceClients, serviceProviders } from '@app/runtime';
import { SubscriptionStore } from '@app/subscriptions';

import type { ApiConfig } from './api.config';
import { API_CONFIG, KAFKA, REDIS } from './api.tokens';
import { AuthGuard } from './auth/auth.guard';
import { TokenRegistry } from './auth/token-registry';
import { ViewConsumer } from './feed/view-consumer';
import { ErrorFilter } from './http/error.filter';
import { RequestMetricsMiddleware } from './http/request-metrics.middleware';
import { AlertsController } from './routes/alerts.controller';
import { DashboardController } from './routes/dashboard.controller';
import { FacilitiesController } from './routes/facilities.controller';
import { LagController } from './routes/lag.controller';
import { ShiftLedgerService } from './routes/shift-ledger.service';
import { SubscriptionsController } from './routes/subscriptions.controller';
import { AlertView } from './store/alert-view';
import { SummaryView } from './store/summary-view';
import { ViewWriter } from './store/view-writer';
import { AlertStreamHub } from './stream/alert-stream.hub';

@Module({})
export class ApiModule implements NestModule, OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly kafkaProbe: KafkaProbe,
  ) {}

  static forRoot(config: ApiConfig, logger: JsonLogger, metrics = new Metrics('api')): DynamicModule {
    const redisOf = (make: (redis: RedisClient) => unknown) => ({ inject: [REDIS], useFactory: make });
    return {
      module: ApiModule,
      controllers: [
        FacilitiesController,
        AlertsController,
        SubscriptionsController,
        LagController,
        DashboardController,
      ],
      providers: [
        ...serviceProviders({
          name: 'api',
          config,
          tokens: { config: API_CONFIG, kafka: KAFKA, redis: REDIS },
          logger,
          metrics,
        }),
        {
          provide: FacilityCalendar,
          useFactory: () => FacilityCalendar.fromFile(config.rules.facilitiesFile),
        },
        { provide: TokenRegistry, useValue: new TokenRegistry(config.tokens) },
        { provide: AlertView, ...redisOf((r) => new AlertView(r)) },
        { provide: SummaryView, ...redisOf((r) => new SummaryView(r)) },
        { provide: AlertActions, ...redisOf((r) => new AlertActions(r)) },
        { provide: SubscriptionStore, ...redisOf((r) => new SubscriptionStore(r)) },
        {
          provide: ViewWriter,
          ...redisOf(
            (r) =>
              new ViewWriter(r, {
                streamMaxLen: config.streamMaxLen,
                resolvedRetentionMs: config.rules.retentionMs,
              }),
          ),
        },
        ShiftLedgerService,
        ViewConsumer,
        AlertStreamHub,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestMetricsMiddleware).forRoutes('*');
  }

  async onApplicationShutdown(): Promise<void> {
    await closeServiceClients(this.kafkaProbe, this.redis);
  }
}
