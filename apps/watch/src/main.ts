// first: a SIGTERM while the modules below load ends the process with exit 0
import '@app/runtime/early-signals';

import { KafkaProbe, outputTopics, prepareTopics } from '@app/kafka';
import { redisAnswers, type RedisClient } from '@app/redis';
import { runService } from '@app/runtime';

import { loadWatchConfig } from './watch.config';
import { WatchModule } from './watch.module';
import { WatchService } from './watch.service';
import { REDIS } from './watch.tokens';

runService({
  name: 'watch',
  metrics: 'watch',
  loadConfig: () => loadWatchConfig(),
  prepare: (config, logger) => prepareTopics(config.kafka, logger, outputTopics(config)),
  module: (config, logger, metrics) => WatchModule.forRoot(config, logger, metrics),
  readiness(app) {
    const kafka = app.get(KafkaProbe);
    const redis = app.get<symbol, RedisClient>(REDIS);
    const watch = app.get(WatchService);
    return {
      kafka: () => kafka.reachable(),
      redis: () => redisAnswers(redis),
      watch: () => watch.roundsAreRecent(Date.now()),
    };
  },
});
