import type { RedisClient } from './redis-client';

/**
 * Whether Redis answers a PING, for a readiness check. A client that is not connected is not asked:
 * one that queues commands while disconnected would hold the PING until it reconnects.
 */
export async function redisAnswers(redis: RedisClient): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  return (await redis.ping()) === 'PONG';
}
