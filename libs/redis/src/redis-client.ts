import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

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
}

/** Builds a standalone or cluster client that reconnects forever with a capped backoff. */
export function createRedisClient(conn: RedisConnection, opts: RedisClientOptions): RedisClient {
  const base: RedisOptions = {
    connectionName: opts.name,
    enableOfflineQueue: opts.queueWhileDisconnected,
    autoResendUnfulfilledCommands: opts.queueWhileDisconnected,
    maxRetriesPerRequest: opts.queueWhileDisconnected ? 20 : 0,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 6), 5_000),
    lazyConnect: true,
  };
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
      clusterRetryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 6), 5_000),
      lazyConnect: true,
    };
    const nodes = conn.clusterNodes.map((n) => {
      const [host, port] = n.split(':');
      return { host, port: Number(port) };
    });
    return new Cluster(nodes, clusterOptions);
  }
  return new Redis(conn.url, base);
}
