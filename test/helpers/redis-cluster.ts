/**
 * A Redis Cluster of the test's own: `masters` redis-server processes with `--cluster-enabled yes`
 * (AOF on, as everywhere), joined by `redis-cli --cluster create` with no replicas. Each node's data
 * dir lies directly under the run root, so the global teardown stops the nodes even if a test forgets.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';

import { Cluster, Redis } from 'ioredis';

import { killRedis, startRedis, stopRedis } from '../../deploy/local/local-redis';
import { findExecutable } from '../../deploy/local/local-process';
import { freePorts } from '../../deploy/local/ports';
import { waitFor } from './kafka';

const execFileAsync = promisify(execFile);

export interface TestRedisCluster {
  /** `host:port` of every master, for REDIS_CLUSTER_NODES */
  readonly nodes: string[];
  readonly ports: number[];
  readonly dataDirs: string[];
  /** the index of the master that serves `key` */
  nodeOf(key: string): Promise<number>;
  /** SIGKILL one master */
  kill(index: number): Promise<void>;
  /** starts a master again on its port and data dir (its AOF and nodes.conf), and waits for the cluster */
  restart(index: number): Promise<void>;
  /** a cluster client for the test's own reads */
  client(): Cluster;
  /** stops every node and deletes their data dirs */
  dispose(): Promise<void>;
}

export async function startTestRedisCluster(
  masters = 3,
  opts: { extraArgs?: string[] } = {},
): Promise<TestRedisCluster> {
  const redisCli = findExecutable('redis-cli', ['/usr/bin', '/usr/local/bin', '/opt/homebrew/bin']);
  if (!redisCli) throw new Error('redis-cli not found: it comes with redis-server (Debian: redis-tools)');
  const parent = process.env.HBM_TEST_ROOT ?? os.tmpdir();
  const ports = await freePorts(masters);
  const dataDirs = ports.map(() => fs.mkdtempSync(path.join(parent, 'redis-cluster-')));
  const dispose = async () => {
    await Promise.allSettled(dataDirs.map((dir) => stopRedis(dir)));
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  };
  const start = (i: number) =>
    startRedis({
      port: ports[i],
      dataDir: dataDirs[i],
      extraArgs: [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        path.join(dataDirs[i], 'nodes.conf'),
        '--cluster-node-timeout',
        '5000',
        ...(opts.extraArgs ?? []),
      ],
    });
  const waitUntilOk = async () => {
    for (const port of ports) {
      const node = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await node.connect();
        await waitFor(async () => /cluster_state:ok/.test(await node.cluster('INFO')), {
          what: `the cluster to be ok as seen from 127.0.0.1:${port}`,
          timeoutMs: 30_000,
          intervalMs: 200,
        });
      } finally {
        node.disconnect();
      }
    }
  };
  try {
    await Promise.all(ports.map((_, i) => start(i)));
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    await execFileAsync(
      redisCli,
      ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'],
      {
        timeout: 60_000,
      },
    );
    await waitUntilOk();
    return {
      nodes,
      ports,
      dataDirs,
      async nodeOf(key) {
        const node = new Redis({ port: ports[0], host: '127.0.0.1', maxRetriesPerRequest: 1 });
        try {
          const slot = Number(await node.cluster('KEYSLOT', key));
          const ranges = await node.cluster('SLOTS');
          const range = ranges.find(([from, to]) => slot >= from && slot <= to);
          const port = range?.[2]?.[1];
          return port === undefined ? -1 : ports.indexOf(port);
        } finally {
          node.disconnect();
        }
      },
      kill: (index) => killRedis(dataDirs[index]),
      async restart(index) {
        await start(index);
        await waitUntilOk();
      },
      client: () =>
        new Cluster(
          ports.map((port) => ({ host: '127.0.0.1', port })),
          { redisOptions: { maxRetriesPerRequest: 3 } },
        ),
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
