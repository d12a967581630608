import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

import { redactCredentials } from '@app/config';
import { backoffDelay, ThrottledLog, type BackoffPolicy, type WarnLogger } from '@app/retry';

export type RedisClient = Redis | Cluster;

export interface RedisConnection {
  /** `redis://` or `rediss://` URL; used alone when `clusterNodes` is empty. */
  url: string;
  /** `host:port` seeds: set, the client talks to a Redis Cluster. */
  clusterNodes: string[];
}

export interface RedisClientOptions {
  name: string;
  /**
   * false: a command given while the connection is down fails at once instead of waiting in a queue,
   * and nothing is re-sent after a reconnect. The ledger consumer wants this: after a reconnect it must
   * first learn whether Redis lost writes, and only then apply more.
   */
  queueWhileDisconnected: boolean;
  /**
   * Where connection errors go, at most once per 10 s per kind with a count. Unset: ioredis prints
   * each one to stderr itself, on every reconnect attempt.
   */
  log?: WarnLogger;
}

/** How the client waits between reconnects: doubling from 100 ms to 5 s, jittered so clients do not reconnect in step. */
export const REDIS_RECONNECT: BackoffPolicy = { baseMs: 100, maxMs: 5_000, jitter: 0.5 };

/** ioredis's retry strategies count attempts from 1; never null: the client reconnects forever. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  return backoffDelay(attempt - 1, REDIS_RECONNECT, random);
}

/** Builds a standalone or cluster client that reconnects forever with a capped, jittered backoff. */
export function createRedisClient(conn: RedisConnection, opts: RedisClientOptions): RedisClient {
  const base: RedisOptions = {
    connectionName: opts.name,
    enableOfflineQueue: opts.queueWhileDisconnected,
    autoResendUnfulfilledCommands: opts.queueWhileDisconnected,
    maxRetriesPerRequest: opts.queueWhileDisconnected ? 20 : 0,
    retryStrategy: (attempt) => reconnectDelay(attempt),
    lazyConnect: true,
  };
  let client: RedisClient;
  if (conn.clusterNodes.length > 0) {
    const url = new URL(conn.url);
    const clusterOptions: ClusterOptions = {
      redisOptions: {
        ...base,
        password: url.password ? decodeURIComponent(url.password) : undefined,
        username: url.username ? decodeURIComponent(url.username) : undefined,
        tls: url.protocol === 'rediss:' ? {} : undefined,
      },
      enableOfflineQueue: opts.queueWhileDisconnected,
      clusterRetryStrategy: (attempt) => reconnectDelay(attempt),
      lazyConnect: true,
    };
    const nodes = conn.clusterNodes.map((n) => {
      const [host, port] = n.split(':');
      return { host, port: Number(port) };
    });
    client = new Cluster(nodes, clusterOptions);
  } else {
    client = new Redis(conn.url, base);
  }
  if (opts.log) logConnectionErrors(client, opts.name, new ThrottledLog(opts.log));
  return client;
}

/** One line per kind of error per 10 s (with how many it stands for) instead of one per reconnect attempt. */
function logConnectionErrors(client: RedisClient, name: string, log: ThrottledLog): void {
  const warn = (error: Error & { code?: string }, node?: string) =>
    log.warn(`redis:${error.code ?? error.name}`, 'Redis connection error; reconnecting', {
      connection: name,
      node: node === undefined ? undefined : redactCredentials(node),
      error: redactCredentials(error.message),
    });
  client.on('error', (error: Error) => warn(error));
  if (client instanceof Cluster) {
    client.on('node error', (error: Error, node: string) => warn(error, node));
  }
}
