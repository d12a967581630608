/**
 * The servers a bench run measures: a Kafka and a Redis of its own, on free ports in a temp dir
 * (Redis with `appendonly yes`, `appendfsync everysec`, as the services run it), or the ones that
 * KAFKA_BROKERS and REDIS_URL name.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startKafka } from '../local/local-kafka';
import { startRedis } from '../local/local-redis';
import { freePorts } from '../local/ports';

export interface BenchServers {
  brokers: string;
  /** without a database number */
  redisUrl: string;
  /** pids of servers this run started (for their CPU time), undefined when given */
  kafkaPid?: number;
  redisPid?: number;
  kafkaVersion: string;
  redisVersion: string;
  /** true when this run started them (and stops them) */
  own: boolean;
  /** a temp dir for the run's files (calendar, profiles) */
  workDir: string;
  stop(): Promise<void>;
}

export async function startBenchServers(given: {
  brokers?: string;
  redisUrl?: string;
}): Promise<BenchServers> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbm-bench-'));
  if (given.brokers && given.redisUrl) {
    return {
      brokers: given.brokers,
      redisUrl: given.redisUrl.replace(/\/\d+$/, ''),
      kafkaVersion: 'given',
      redisVersion: 'given',
      own: false,
      workDir,
      stop: async () => fs.rmSync(workDir, { recursive: true, force: true }),
    };
  }
  const [port, controllerPort, redisPort] = await freePorts(3);
  const [kafka, redis] = await Promise.allSettled([
    startKafka({ port, controllerPort, dataDir: path.join(workDir, 'kafka') }),
    // databases 70-79 by default (--redis-db), as in the shared test Redis
    startRedis({ port: redisPort, dataDir: path.join(workDir, 'redis'), extraArgs: ['--databases', '128'] }),
  ]);
  const stopAll = async () => {
    await Promise.allSettled([
      kafka.status === 'fulfilled' ? kafka.value.stop() : undefined,
      redis.status === 'fulfilled' ? redis.value.stop() : undefined,
    ]);
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  if (kafka.status === 'rejected' || redis.status === 'rejected') {
    await stopAll();
    const reasons = [kafka, redis].flatMap((r) =>
      r.status === 'rejected' ? [(r.reason as Error).message] : [],
    );
    throw new Error(`the bench's Kafka and Redis did not start:\n${reasons.join('\n\n')}`);
  }
  return {
    brokers: kafka.value.brokers,
    redisUrl: redis.value.url,
    kafkaPid: kafka.value.pid,
    redisPid: redis.value.pid,
    kafkaVersion: kafka.value.version,
    redisVersion: redis.value.version,
    own: true,
    workDir,
    stop: stopAll,
  };
}
