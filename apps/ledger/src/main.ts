import 'reflect-metadata';

import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { ConfigError } from '@app/config';
import { createKafka, ensureTopics } from '@app/kafka';
import { JsonLogger } from '@app/observability';

import { loadLedgerConfig, type LedgerConfig } from './ledger.config';
import { LedgerModule } from './ledger.module';

let app: INestApplicationContext | undefined;
let starting = false; // the Nest context is being built: consuming may begin any moment
let closing = false;

/**
 * SIGTERM (and Ctrl-C): finish the batch in hand, commit, flush, exit 0 within 30 s (SPEC section 10).
 * Handled here rather than by Nest's shutdown hooks, which re-raise the signal and so do not exit 0.
 */
function shutdown(signal: NodeJS.Signals, logger: JsonLogger): void {
  if (closing) return;
  closing = true;
  logger.info('shutting down', { signal });
  if (!app && !starting) process.exit(0); // nothing consumed yet, nothing to commit
  setTimeout(() => {
    logger.error('shutdown took longer than 25 s; exiting');
    process.exit(1);
  }, 25_000).unref();
  if (!app) return; // bootstrap closes it as soon as it is built
  app.close().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error('shutdown failed', { error: String(error) });
      process.exit(1);
    },
  );
}

async function bootstrap(): Promise<void> {
  let config: LedgerConfig;
  try {
    config = loadLedgerConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`config: ${problem}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = new JsonLogger(config.logLevel, 'ledger');
  process.on('SIGTERM', (s) => shutdown(s, logger));
  process.on('SIGINT', (s) => shutdown(s, logger));

  const admin = createKafka(config.kafka, logger).admin();
  await admin.connect();
  const created = await ensureTopics(admin, [
    { topic: config.scanTopic, numPartitions: config.scanTopicPartitions },
    { topic: config.deadLetterTopic, numPartitions: Math.min(config.scanTopicPartitions, 6) },
  ]);
  await admin.disconnect();
  if (created.length > 0) logger.info('created topics', { topics: created });

  starting = true;
  const context = await NestFactory.createApplicationContext(LedgerModule.forRoot(config, logger), {
    logger,
  });
  await context.init();
  app = context;
  if (closing) {
    closing = false;
    shutdown('SIGTERM', logger);
  }
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `ledger: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
