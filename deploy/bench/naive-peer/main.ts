/**
 * The bench's naive peer (figure 6): the ledger's rules through the stock @nestjs/microservices Kafka
 * transport, one event per handler call, one Redis round trip per event, committed by kafkajs's
 * auto-commit after each batch of handler calls. Configured like the ledger (KAFKA_*, REDIS_URL,
 * SCAN_TOPIC, FACILITIES_FILE, the rules) plus NAIVE_GROUP_ID; started by `npm run bench`, or by hand:
 *   node -r ./deploy/local/register.js deploy/bench/naive-peer/main.ts
 */
import 'reflect-metadata';

import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';

import { ConfigError } from '@app/config';
import { ensureTopics, createKafka } from '@app/kafka';
import { JsonLogger } from '@app/observability';

import { loadNaivePeerConfig } from './naive-peer.config';
import { NaivePeerModule } from './naive-peer.module';

async function main(): Promise<void> {
  let config;
  try {
    config = loadNaivePeerConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`config: ${problem}\n`);
    process.exit(78);
  }
  const logger = new JsonLogger(config.logLevel, 'naive-peer');
  const admin = createKafka(config.kafka, logger).admin();
  await admin.connect();
  await ensureTopics(admin, [{ topic: config.deadLetterTopic, numPartitions: 6 }]);
  await admin.disconnect();

  const app = await NestFactory.createMicroservice<MicroserviceOptions>(NaivePeerModule.forRoot(config), {
    transport: Transport.KAFKA,
    options: {
      client: {
        clientId: `${config.kafka.clientId}-naive-peer`,
        brokers: config.kafka.brokers,
        ssl: config.kafka.ssl,
      },
      // the ledger consumer's fetch settings and concurrency, so that only the per-event work differs
      consumer: {
        groupId: config.groupId,
        sessionTimeout: config.sessionTimeoutMs,
        maxBytesPerPartition: 1_048_576,
      },
      subscribe: { fromBeginning: true },
      run: { partitionsConsumedConcurrently: config.partitionsConsumedConcurrently },
      parser: { keepBinary: true },
      postfixId: '',
    },
    logger,
  });
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await app.listen();
  logger.info('consuming', { topic: config.rules.scanTopic, group: config.groupId });
}

main().catch((error: Error) => {
  process.stderr.write(`naive-peer: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
