import { createKafka, ensureTopics, KafkaProbe } from '@app/kafka';
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
  async prepare(config, logger) {
    const admin = createKafka(config.kafka, logger).admin();
    await admin.connect();
    const created = await ensureTopics(admin, [
      { topic: config.alertsTopic, numPartitions: config.outputTopicPartitions },
      {
        topic: config.summariesTopic,
        numPartitions: config.outputTopicPartitions,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ]);
    await admin.disconnect();
    if (created.length > 0) logger.info('created topics', { topics: created });
  },
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
