// first: a SIGTERM while the modules below load ends the process with exit 0
import '@app/runtime/early-signals';

import { KafkaProbe, outputTopics, prepareTopics } from '@app/kafka';
import { redisAnswers, type RedisClient } from '@app/redis';
import { runService } from '@app/runtime';

import { loadApiConfig } from './api.config';
import { ApiModule } from './api.module';
import { REDIS } from './api.tokens';
import { ViewConsumer } from './feed/view-consumer';
import { configureApiHttp } from './http/http-setup';
import { AlertStreamHub } from './stream/alert-stream.hub';

runService({
  name: 'api',
  metrics: 'api',
  http: true,
  configureHttp: configureApiHttp,
  loadConfig: () => loadApiConfig(),
  prepare: (config, logger) => prepareTopics(config.kafka, logger, outputTopics(config)),
  module: (config, logger, metrics) => ApiModule.forRoot(config, logger, metrics),
  readiness(app, config) {
    const kafka = app.get(KafkaProbe);
    const redis = app.get<symbol, RedisClient>(REDIS);
    const { membership } = app.get(ViewConsumer);
    const hub = app.get(AlertStreamHub);
    return {
      kafka: () => kafka.reachable(),
      redis: () => redisAnswers(redis),
      consumer: () => membership.isActive(Date.now(), config.sessionTimeoutMs),
      stream: () => hub.isReading(Date.now()),
    };
  },
});
