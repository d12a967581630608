export { createRedisClient } from './redis-client';
export type { RedisClient, RedisClientOptions, RedisConnection } from './redis-client';
