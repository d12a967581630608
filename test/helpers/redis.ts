/**
 * Redis helpers for integration tests. The run's shared Redis is process.env.TEST_REDIS_URL; fault
 * tests that kill or restart Redis get their own with startTestRedis(), under the run root so the
 * global teardown stops it even if the test forgets.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import Redis from 'ioredis';

import { killRedis, startRedis, stopRedis } from '../../deploy/local/local-redis';
import { freePort } from '../../deploy/local/ports';

/** The run's Redis, started by test/global-setup.ts. */
export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url)
    throw new Error(
      'TEST_REDIS_URL is not set: run integration tests through jest --selectProjects integration',
    );
  return url;
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
