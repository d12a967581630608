/**
 * Starts one real Kafka and one real Redis for the whole integration run, on free ports, in a fresh
 * temp dir (the run root). Tests find them through process.env:
 *   TEST_KAFKA_BROKERS, TEST_KAFKA_PORT, TEST_KAFKA_CONTROLLER_PORT, TEST_KAFKA_DATA_DIR
 *   TEST_REDIS_URL, TEST_REDIS_PORT, TEST_REDIS_DATA_DIR
 *   HBM_TEST_ROOT (where fault tests put their own servers, so the teardown stops those too)
 * The same facts go to a JSON file in os.tmpdir() named after this jest process, which the teardown
 * reads; a later run uses it to stop servers a killed run (Ctrl-C) left behind.
 * HBM_KEEP_TEST_DATA=1 keeps the run root (logs, data) after the run. It also sets LEDGER_METRICS_PORT
 * and WATCH_METRICS_PORT to 0 for the services the tests start.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { startKafka, stopKafka } from '../deploy/local/local-kafka';
import { isRunning } from '../deploy/local/local-process';
import { startRedis, stopRedis } from '../deploy/local/local-redis';
import { freePorts } from '../deploy/local/ports';
import { TEST_REDIS_DATABASES } from './helpers/redis';

const RUN_FILE_PREFIX = 'hbm-it-run-';

export interface TestRun {
  ownerPid: number;
  root: string;
  kafka: { brokers: string; port: number; controllerPort: number; dataDir: string; version: string };
  redis: { url: string; port: number; dataDir: string; version: string };
}

export function runFileOf(ownerPid: number): string {
  return path.join(os.tmpdir(), `${RUN_FILE_PREFIX}${ownerPid}.json`);
}

/** Stops every Kafka and Redis whose pid file lies one level under root, then deletes root. */
export async function stopEverythingUnder(root: string, keep = false): Promise<void> {
  let dirs: string[] = [];
  try {
    dirs = fs
      .readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => path.join(root, d.name));
  } catch {
    return;
  }
  const stops = dirs.flatMap((dir) => [
    ...(fs.existsSync(path.join(dir, 'kafka.pid')) ? [stopKafka(dir)] : []),
    ...(fs.existsSync(path.join(dir, 'redis.pid')) ? [stopRedis(dir)] : []),
  ]);
  const results = await Promise.allSettled(stops);
  if (!keep) fs.rmSync(root, { recursive: true, force: true });
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
  if (failed.length) throw new Error(`could not stop test servers under ${root}:\n${failed.join('\n')}`);
}

/** Servers of earlier runs whose jest process is gone (killed before its teardown). */
async function reapAbandonedRuns(): Promise<void> {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(RUN_FILE_PREFIX) || !name.endsWith('.json')) continue;
    const file = path.join(os.tmpdir(), name);
    try {
      const run = JSON.parse(fs.readFileSync(file, 'utf8')) as TestRun;
      if (isRunning(run.ownerPid)) continue;
      await stopEverythingUnder(run.root);
      fs.rmSync(file, { force: true });
    } catch {
      // unreadable or half-written: leave it to its owner
    }
  }
}

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  await reapAbandonedRuns();

  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hbm-it-'));
  const [kafkaPort, controllerPort, redisPort] = await freePorts(3);
  const kafkaDir = path.join(root, 'kafka');
  const redisDir = path.join(root, 'redis');
  const [kafka, redis] = await Promise.allSettled([
    startKafka({ port: kafkaPort, controllerPort, dataDir: kafkaDir }),
    // every test takes databases of its own (helpers/redis.ts, uniqueRedisDb): Redis has 16 unless told
    startRedis({
      port: redisPort,
      dataDir: redisDir,
      extraArgs: ['--databases', String(TEST_REDIS_DATABASES)],
    }),
  ]);
  if (kafka.status === 'rejected' || redis.status === 'rejected') {
    // jest skips the teardown when the setup throws: clean up here.
    await stopEverythingUnder(root, process.env.HBM_KEEP_TEST_DATA === '1').catch(() => undefined);
    const reasons = [kafka, redis].flatMap((r) =>
      r.status === 'rejected' ? [(r.reason as Error).message] : [],
    );
    throw new Error(`integration test infrastructure did not start:\n${reasons.join('\n\n')}`);
  }

  const run: TestRun = {
    ownerPid: process.pid,
    root,
    kafka: {
      brokers: kafka.value.brokers,
      port: kafkaPort,
      controllerPort,
      dataDir: kafkaDir,
      version: kafka.value.version,
    },
    redis: { url: redis.value.url, port: redisPort, dataDir: redisDir, version: redis.value.version },
  };
  const runFile = runFileOf(process.pid);
  fs.writeFileSync(runFile, JSON.stringify(run, null, 2));

  Object.assign(process.env, {
    HBM_TEST_RUN_FILE: runFile,
    HBM_TEST_ROOT: root,
    TEST_KAFKA_BROKERS: run.kafka.brokers,
    TEST_KAFKA_PORT: String(kafkaPort),
    TEST_KAFKA_CONTROLLER_PORT: String(controllerPort),
    TEST_KAFKA_DATA_DIR: kafkaDir,
    TEST_REDIS_URL: run.redis.url,
    TEST_REDIS_PORT: String(redisPort),
    TEST_REDIS_DATA_DIR: redisDir,
    // services started by tests serve /metrics and /health on a free port unless a test names one, so
    // that two watches of one test, or a developer's `npm start`, do not fight over 9464 and 9465
    LEDGER_METRICS_PORT: '0',
    WATCH_METRICS_PORT: '0',
  });

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `\nIntegration infra: Kafka ${run.kafka.version} at ${run.kafka.brokers} (controller ${controllerPort}), ` +
      `Redis ${run.redis.version} at ${run.redis.url}, in ${root}, up in ${seconds} s\n`,
  );
}
