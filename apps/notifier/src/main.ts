// first: a SIGTERM while the modules below load ends the process with exit 0
import '@app/runtime/early-signals';

import { KafkaProbe, outputTopics, prepareTopics } from '@app/kafka';
import { redisAnswers, type RedisClient } from '@app/redis';
import { runService } from '@app/runtime';

import { DeliverySender } from './delivery-sender';
import { MessageFanOut } from './message-fan-out';
import { loadNotifierConfig } from './notifier.config';
import { NotifierModule } from './notifier.module';
import { REDIS } from './notifier.tokens';

runService({
  name: 'notifier',
  metrics: 'notifier',
  loadConfig: () => loadNotifierConfig(),
  // the topics are the watch's; made here too so that the notifier may start first
  prepare: (config, logger) => prepareTopics(config.kafka, logger, outputTopics(config)),
  module: (config, logger, metrics) => NotifierModule.forRoot(config, logger, metrics),
  readiness(app) {
    const kafka = app.get(KafkaProbe);
    const redis = app.get<symbol, RedisClient>(REDIS);
    const fanOut = app.get(MessageFanOut);
    const sender = app.get(DeliverySender);
    return {
      kafka: () => kafka.reachable(),
      redis: () => redisAnswers(redis),
      consumer: () => fanOut.isActive(Date.now()),
      sender: () => sender.pollsAreRecent(Date.now()),
    };
  },
});
