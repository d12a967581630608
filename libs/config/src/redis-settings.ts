import { z } from 'zod';

import { env } from './env';

export const RedisSettings = z.object({
  REDIS_URL: env
    .string('redis://127.0.0.1:6379')
    .pipe(z.string().regex(/^rediss?:\/\/.+/, 'must start with redis:// or rediss://')),
  REDIS_CLUSTER_NODES: env
    .list()
    .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port[,host:port...]'))),
});
export type RedisSettings = z.infer<typeof RedisSettings>;
