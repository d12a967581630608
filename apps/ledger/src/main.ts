import { createKafka, ensureTopics } from '@app/kafka';
import { runService } from '@app/runtime';

import { loadLedgerConfig } from './ledger.config';
import { LedgerModule } from './ledger.module';

runService({
  name: 'ledger',
  loadConfig: () => loadLedgerConfig(),
  async prepare(config, logger) {
    const admin = createKafka(config.kafka, logger).admin();
    await admin.connect();
    const created = await ensureTopics(admin, [
      { topic: config.rules.scanTopic, numPartitions: config.scanTopicPartitions },
      { topic: config.deadLetterTopic, numPartitions: Math.min(config.scanTopicPartitions, 6) },
    ]);
    await admin.disconnect();
    if (created.length > 0) logger.info('created topics', { topics: created });
  },
  module: (config, logger) => LedgerModule.forRoot(config, logger),
});
