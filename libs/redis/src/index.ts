export { createRedisClient, reconnectDelay, REDIS_RECONNECT } from './redis-client';
export type { RedisClient, RedisClientOptions, RedisConnection } from './redis-client';
export { redisAnswers } from './redis-probe';
export { claimLease, releaseLease } from './lease';
export { defineScripts, readScripts } from './scripts';
export type { LuaScript, ScriptHost } from './scripts';
