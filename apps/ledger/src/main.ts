// first: a SIGTERM while the modules below load ends the process with exit 0
import '@app/runtime/early-signals';

import { KafkaProbe, prepareTopics } from '@app/kafka';
import { redisAnswers, type RedisClient } from '@app/redis';
import { runService } from '@app/runtime';

import { loadLedgerConfig } from './ledger.config';
import { LedgerModule } from './ledger.module';
import { REDIS } from './ledger.tokens';
import { ScanConsumer } from './scan-consumer';

runService({
  name: 'ledger',
  metrics: 'ledger',
  loadConfig: () => loadLedgerConfig(),
  prepare: (config, logger) =>
    prepareTopics(config.kafka, logger, [
      { topic: config.rules.scanTopic, numPartitions: config.scanTopicPartitions },
      { topic: config.deadLetterTopic, numPartitions: Math.min(config.scanTopicPartitions, 6) },
    ]),
  module: (config, logger, metrics) => LedgerModule.forRoot(config, logger, metrics),
  readiness(app, config) {
    const kafka = app.get(KafkaProbe);
    const redis = app.get<symbol, RedisClient>(REDIS);
    const { membership } = app.get(ScanConsumer);
    return {
      kafka: () => kafka.reachable(),
      redis: () => redisAnswers(redis),
      // silent for a session timeout, the member is out of the group anyway
      consumer: () => membership.isActive(Date.now(), config.sessionTimeoutMs),
    };
  },
});
