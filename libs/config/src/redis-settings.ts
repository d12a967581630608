import { z } from 'zod';

import { env } from './env';

const HOST_PORT = /^[^\s:@/]+:\d{1,5}$/;

/** What ioredis can connect to: redis:// or rediss://, a host, a numeric port, an optional db number. */
function isRedisUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value); // rejects a port that is not a number
  } catch {
    return false;
  }
  return (
    (url.protocol === 'redis:' || url.protocol === 'rediss:') &&
    url.hostname !== '' &&
    /^(\/\d*)?$/.test(url.pathname)
  );
}

export const RedisSettings = z.object({
  REDIS_URL: env
    .string('redis://127.0.0.1:6379')
    .pipe(
      z
        .string()
        .refine(
          isRedisUrl,
          'must be redis://[[user]:password@]host[:port][/db], or rediss:// for TLS (encode @ : / in a password)',
        ),
    ),
  REDIS_CLUSTER_NODES: env
    .list()
    .pipe(
      z.array(
        z.string().regex(HOST_PORT, 'must be host:port[,host:port...] (the password goes in REDIS_URL)'),
      ),
    ),
});
export type RedisSettings = z.infer<typeof RedisSettings>;
