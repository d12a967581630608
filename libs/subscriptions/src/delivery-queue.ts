import { claimLease, releaseLease, type RedisClient } from '@app/redis';

import { DeliveryMessage, dedupKeyOf, deliveryIdOf, revisionOf, type Delivery } from './delivery';
import { subscriptionKeys as k } from './keys';
import { defineSubscriptionScripts } from './scripts';

const ENQUEUE_CHUNK = 200;

/**
 * The durable per-subscription delivery queues in Redis, as the notifier uses them: enqueue (once per
 * revision), find what is due, take a subscription's lease, read its queue, record the outcome.
 */
export class DeliveryQueue {
  constructor(
    readonly redis: RedisClient,
    /** how long a dedup key is remembered after its last revision (Kafka redelivery window) */
    private readonly forgetMs: number = 7 * 24 * 3_600_000,
  ) {
    defineSubscriptionScripts(redis);
  }

  /**
   * Enqueues messages for one subscription; returns how many were new. `prompt`: the subscription is
   * due now even if it was waiting (Alertmanager's next re-send must not hold back a change).
   */
  async enqueue(
    subscriptionId: string,
    messages: DeliveryMessage[],
    nowMs: number,
    prompt = false,
  ): Promise<number> {
    let added = 0;
    for (let i = 0; i < messages.length; i += ENQUEUE_CHUNK) {
      const args: string[] = [];
      for (const message of messages.slice(i, i + ENQUEUE_CHUNK))
        args.push(
          dedupKeyOf(message),
          String(revisionOf(message)),
          deliveryIdOf(message),
          JSON.stringify(message),
        );
      added += await this.redis.enqueueDeliveries(
        k.subscription(subscriptionId),
        k.seen(subscriptionId),
        k.seenAt(subscriptionId),
        k.queue(subscriptionId),
        k.bodies(subscriptionId),
        k.due(),
        subscriptionId,
        String(nowMs),
        String(this.forgetMs),
        prompt ? '1' : '0',
        ...args,
      );
    }
    return added;
  }

  /** Subscriptions whose next attempt time has come, soonest first. */
  due(nowMs: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(k.due(), '-inf', nowMs, 'LIMIT', 0, limit);
  }

  /** When the next subscription is due (ms), or null when nothing is pending. */
  async nextDueAt(): Promise<number | null> {
    const [, score] = await this.redis.zrange(k.due(), 0, 0, 'WITHSCORES');
    return score === undefined ? null : Number(score);
  }

  async claim(subscriptionId: string, instanceId: string, ttlMs: number): Promise<boolean> {
    return await claimLease(this.redis, k.lease(subscriptionId), instanceId, ttlMs);
  }

  async release(subscriptionId: string, instanceId: string): Promise<void> {
    await releaseLease(this.redis, k.lease(subscriptionId), instanceId);
  }

  /** The oldest `limit` pending deliveries. A body that no longer parses is returned as null message. */
  async pending(
    subscriptionId: string,
    limit: number,
  ): Promise<{ deliveries: Delivery[]; broken: string[] }> {
    const flat = await this.redis.zrange(k.queue(subscriptionId), 0, limit - 1, 'WITHSCORES');
    const ids: string[] = [];
    const scores: number[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      ids.push(flat[i]);
      scores.push(Number(flat[i + 1]));
    }
    if (ids.length === 0) return { deliveries: [], broken: [] };
    const bodies = await this.redis.hmget(k.bodies(subscriptionId), ...ids);
    const deliveries: Delivery[] = [];
    const broken: string[] = [];
    ids.forEach((id, i) => {
      const body = bodies[i];
      const parsed = body === null ? null : DeliveryMessage.safeParse(JSON.parse(body));
      if (parsed?.success) deliveries.push({ id, enqueuedAtMs: scores[i], message: parsed.data });
      else broken.push(id);
    });
    return { deliveries, broken };
  }

  pendingCount(subscriptionId: string): Promise<number> {
    return this.redis.zcard(k.queue(subscriptionId));
  }

  /** Removes sent deliveries; the rest of the queue is due at `nextMs`. Returns how many are left. */
  delivered(subscriptionId: string, ids: string[], nowMs: number, nextMs: number): Promise<number> {
    return this.redis.markDelivered(
      k.queue(subscriptionId),
      k.bodies(subscriptionId),
      k.state(subscriptionId),
      k.due(),
      k.subscription(subscriptionId),
      subscriptionId,
      String(nowMs),
      new Date(nowMs).toISOString(),
      String(nextMs),
      ...ids,
    );
  }

  /** Records a failed attempt; returns the failed attempts since the last success. */
  failed(subscriptionId: string, nowMs: number, nextMs: number, error: string): Promise<number> {
    return this.redis.markFailed(
      k.state(subscriptionId),
      k.due(),
      k.subscription(subscriptionId),
      subscriptionId,
      new Date(nowMs).toISOString(),
      String(nextMs),
      error.slice(0, 500),
    );
  }

  /** Gives up the deliveries enqueued before `beforeMs`; returns their ids. */
  abandonExpired(subscriptionId: string, beforeMs: number): Promise<string[]> {
    return this.redis.abandonExpired(
      k.queue(subscriptionId),
      k.bodies(subscriptionId),
      k.state(subscriptionId),
      k.due(),
      subscriptionId,
      String(beforeMs),
    );
  }

  /** Failed attempts since the last success. */
  async failedAttempts(subscriptionId: string): Promise<number> {
    return Number((await this.redis.hget(k.state(subscriptionId), 'failedAttempts')) ?? 0);
  }

  /** Drops deliveries whose stored body no longer parses, counted as abandoned. */
  async dropBroken(subscriptionId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.redis
      .multi()
      .zrem(k.queue(subscriptionId), ...ids)
      .hdel(k.bodies(subscriptionId), ...ids)
      .hincrby(k.state(subscriptionId), 'abandoned', ids.length)
      .exec();
  }

  /** Moves a subscription's next attempt (rate limit), if it is still pending. */
  async postpone(subscriptionId: string, atMs: number): Promise<void> {
    await this.redis.zadd(k.due(), 'XX', atMs, subscriptionId);
  }

  /** Pending deliveries over every subscription (for the gauge). */
  async pendingTotal(): Promise<number> {
    const ids = await this.redis.zrange(k.due(), 0, -1);
    if (ids.length === 0) return 0;
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.zcard(k.queue(id));
    const results = (await pipeline.exec()) ?? [];
    return results.reduce((sum, [, n]) => sum + Number(n ?? 0), 0);
  }
}
