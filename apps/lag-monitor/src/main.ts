// first: a SIGTERM while the modules below load ends the process with exit 0
import '@app/runtime/early-signals';

import { KafkaProbe, prepareTopics } from '@app/kafka';
import { redisAnswers, type RedisClient } from '@app/redis';
import { runService } from '@app/runtime';

import { loadLagMonitorConfig } from './lag-monitor.config';
import { LagMonitorModule } from './lag-monitor.module';
import { LagMonitorService } from './lag-monitor.service';
import { REDIS } from './lag-monitor.tokens';

runService({
  name: 'lag-monitor',
  metrics: 'lag',
  loadConfig: () => loadLagMonitorConfig(),
  prepare: (config, logger) =>
    prepareTopics(config.kafka, logger, [
      { topic: config.alertsTopic, numPartitions: config.outputTopicPartitions },
    ]),
  module: (config, logger, metrics) => LagMonitorModule.forRoot(config, logger, metrics),
  readiness(app) {
    const kafka = app.get(KafkaProbe);
    const redis = app.get<symbol, RedisClient>(REDIS);
    const monitor = app.get(LagMonitorService);
    return {
      kafka: () => kafka.reachable(),
      redis: () => redisAnswers(redis),
      monitor: () => monitor.roundsAreRecent(Date.now()),
    };
  },
});
