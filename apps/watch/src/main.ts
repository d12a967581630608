import { createKafka, ensureTopics } from '@app/kafka';
import { runService } from '@app/runtime';

import { loadWatchConfig } from './watch.config';
import { WatchModule } from './watch.module';

runService({
  name: 'watch',
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
  module: (config, logger) => WatchModule.forRoot(config, logger),
});
