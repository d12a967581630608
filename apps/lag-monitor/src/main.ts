import { createKafka, ensureTopics, KafkaProbe } from '@app/kafka';
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
  async prepare(config, logger) {
    const admin = createKafka(config.kafka, logger).admin();
    await admin.connect();
    const created = await ensureTopics(admin, [
      { topic: config.alertsTopic, numPartitions: config.outputTopicPartitions },
    ]);
    await admin.disconnect();
    if (created.length > 0) logger.info('created topics', { topics: created });
  },
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
