/**
 * Redis helpers for integration tests. The run's shared Redis is process.env.TEST_REDIS_URL; each test
 * takes databases of its own there with uniqueRedisDb() / uniqueRedisUrl(), as it takes topic names
 * with randomName(). Fault tests that kill or restart Redis get their own server with startTestRedis(),
 * under the run root so the global teardown stops it even if the test forgets.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import Redis from 'ioredis';

import { killRedis, startRedis, stopRedis } from '../../deploy/local/local-redis';
import { freePort } from '../../deploy/local/ports';

/**
 * The run's Redis, started by test/global-setup.ts, with no database in the URL. Its database 0 holds
 * only the counter uniqueRedisDb() hands databases out with: a test keeps its data in a database of its
 * own, from uniqueRedisUrl().
 */
export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url)
    throw new Error(
      'TEST_REDIS_URL is not set: run integration tests through jest --selectProjects integration',
    );
  return url;
}

/** How many databases test/global-setup.ts starts the run's Redis with (`--databases`). */
export const TEST_REDIS_DATABASES = 128;

/** In database 0 of the run's Redis: how many databases this run has handed out. */
const HANDED_OUT_KEY = 'hbm-test:databases-handed-out';

/**
 * `count` consecutive database numbers of the run's Redis that no other caller in this jest run gets,
 * in any file or worker: INCRBY on a counter in database 0, which a fresh run's Redis starts at 0. For
 * a program that takes a first database and uses the next ones (the bench: --redis-db and 9 more).
 */
export async function uniqueRedisDbs(count: number): Promise<number[]> {
  const client = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1, lazyConnect: true });
  let last: number;
  try {
    await client.connect();
    await client.select(0);
    last = await client.incrby(HANDED_OUT_KEY, count);
  } finally {
    client.disconnect();
  }
  if (last > TEST_REDIS_DATABASES - 1)
    throw new Error(
      `the run's Redis has databases 1-${TEST_REDIS_DATABASES - 1} for tests and this run asked for ` +
        `${last}: raise TEST_REDIS_DATABASES in test/helpers/redis.ts`,
    );
  return Array.from({ length: count }, (_, i) => last - count + 1 + i);
}

/** A database number of the run's Redis that no other caller in this jest run gets (never 0). */
export async function uniqueRedisDb(): Promise<number> {
  return (await uniqueRedisDbs(1))[0];
}

/** The run's Redis URL with a database of the caller's own (uniqueRedisDb) in its path. */
export async function uniqueRedisUrl(): Promise<string> {
  return redisUrlOf(await uniqueRedisDb());
}

/** The run's Redis URL for database `db`. */
export function redisUrlOf(db: number): string {
  return `${testRedisUrl()}/${db}`;
}

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** the current server's pid (changes on restart) */
  readonly pid: number;
  /** SIGTERM: Redis flushes its AOF first */
  stop(): Promise<void>;
  /** SIGKILL: up to the last second of writes may be lost */
  kill(): Promise<void>;
  /** starts again on the same port and data dir, replaying the AOF */
  restart(): Promise<void>;
  /** stops it and deletes its data dir */
  dispose(): Promise<void>;
}

const ownServers = new Set<string>();

/** A Redis of the test's own, on a free port in a fresh data dir, run like the shared one (AOF on). */
export async function startTestRedis(opts: { extraArgs?: string[] } = {}): Promise<TestRedis> {
  const parent = process.env.HBM_TEST_ROOT ?? os.tmpdir();
  const dataDir = fs.mkdtempSync(path.join(parent, 'redis-'));
  const port = await freePort();
  const start = () => startRedis({ port, dataDir, extraArgs: opts.extraArgs });
  let current = await start();
  ownServers.add(current.url);
  return {
    url: current.url,
    port,
    dataDir,
    get pid() {
      return current.pid;
    },
    stop: () => stopRedis(dataDir),
    kill: () => killRedis(dataDir),
    restart: async () => {
      await stopRedis(dataDir);
      current = await start();
    },
    dispose: async () => {
      await stopRedis(dataDir);
      ownServers.delete(current.url);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * FLUSHALL on a Redis this run started (the shared one or a startTestRedis one). Any other URL is
 * refused, so a stray default of redis://127.0.0.1:6379 can never wipe a developer's own Redis.
 */
export async function flushTestRedis(url: string): Promise<void> {
  if (url !== process.env.TEST_REDIS_URL && !ownServers.has(url)) {
    throw new Error(`refusing to flush ${url}: not a Redis started for this test run`);
  }
  const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await client.connect();
    await client.flushall('SYNC');
  } finally {
    client.disconnect();
  }
}
