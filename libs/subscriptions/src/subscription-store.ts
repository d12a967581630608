import { randomUUID } from 'node:crypto';

import type { RedisClient } from '@app/redis';

import { maskedUrl } from './destination/mask';
import { keysOfSubscription, subscriptionKeys } from './keys';
import {
  StoredSubscription,
  type DeliveryState,
  type Subscription,
  type SubscriptionInput,
} from './subscription';

function isoOrNull(value: string | undefined): string | null {
  return value ? value : null;
}

/** A state hash as the API shows it (nextAttemptAt is kept in ms, the rest as written). */
export function deliveryStateOf(hash: Record<string, string>, pending: number): DeliveryState {
  const next = Number(hash.nextAttemptAt);
  return {
    pending,
    delivered: Number(hash.delivered ?? 0),
    failedAttempts: Number(hash.failedAttempts ?? 0),
    lastDeliveredAt: isoOrNull(hash.lastDeliveredAt),
    lastAttemptAt: isoOrNull(hash.lastAttemptAt),
    lastError: isoOrNull(hash.lastError),
    nextAttemptAt: pending > 0 && next > 0 ? new Date(next).toISOString() : null,
    abandoned: Number(hash.abandoned ?? 0),
    rejected: Number(hash.rejected ?? 0),
  };
}

function publicOf(stored: StoredSubscription, delivery: DeliveryState): Subscription {
  const { secret, facilities, url, peers, ...rest } = stored;
  return {
    ...rest,
    url: maskedUrl(url),
    ...(peers ? { peers: peers.map(maskedUrl) } : {}),
    facilities: facilities as Subscription['facilities'],
    hasSecret: secret !== undefined,
    delivery,
  };
}

/**
 * Subscriptions in Redis, with their delivery state. Secrets are stored (the notifier signs with them)
 * but never returned from here, nor the credentials in a URL (masked). Deleting a subscription drops its pending deliveries with it.
 */
export class SubscriptionStore {
  constructor(private readonly redis: RedisClient) {}

  async create(input: SubscriptionInput, createdBy: string): Promise<Subscription> {
    const now = new Date();
    const stored: StoredSubscription = StoredSubscription.parse({
      id: randomUUID(),
      ...input,
      createdAt: now.toISOString(),
      createdBy,
    });
    await this.redis
      .multi()
      .set(subscriptionKeys.subscription(stored.id), JSON.stringify(stored))
      .zadd(subscriptionKeys.ids(), now.getTime(), stored.id)
      .exec();
    return publicOf(stored, deliveryStateOf({}, 0));
  }

  async get(id: string): Promise<Subscription | null> {
    const [found] = await this.read([id]);
    return found ?? null;
  }

  async list(): Promise<Subscription[]> {
    return this.read(await this.redis.zrange(subscriptionKeys.ids(), 0, -1));
  }

  async delete(id: string): Promise<boolean> {
    const results = await this.redis
      .multi()
      .del(...keysOfSubscription(id))
      .zrem(subscriptionKeys.ids(), id)
      .zrem(subscriptionKeys.due(), id)
      .exec();
    return Number(results?.[1]?.[1] ?? 0) > 0;
  }

  /** The subscriptions with their secrets, for the notifier. */
  async listWithSecrets(): Promise<StoredSubscription[]> {
    return this.readStored(await this.redis.zrange(subscriptionKeys.ids(), 0, -1));
  }

  async getWithSecret(id: string): Promise<StoredSubscription | null> {
    const [found] = await this.readStored([id]);
    return found ?? null;
  }

  private async readStored(ids: string[]): Promise<StoredSubscription[]> {
    if (ids.length === 0) return [];
    const raw = await this.redis.mget(...ids.map((id) => subscriptionKeys.subscription(id)));
    const out: StoredSubscription[] = [];
    for (const json of raw) {
      if (json === null) continue;
      const parsed = StoredSubscription.safeParse(JSON.parse(json));
      if (parsed.success) out.push(parsed.data);
    }
    return out;
  }

  private async read(ids: string[]): Promise<Subscription[]> {
    const stored = await this.readStored(ids);
    if (stored.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const s of stored) {
      pipeline.hgetall(subscriptionKeys.state(s.id));
      pipeline.zcard(subscriptionKeys.queue(s.id));
      // an Alertmanager subscription's alerts changed but not yet sent are pending too
      pipeline.hlen(subscriptionKeys.amChanged(s.id));
    }
    const results = (await pipeline.exec()) ?? [];
    return stored.map((s, i) => {
      const [hashErr, hash] = results[3 * i] ?? [];
      const [cardErr, card] = results[3 * i + 1] ?? [];
      const [changedErr, changed] = results[3 * i + 2] ?? [];
      const error = hashErr ?? cardErr ?? changedErr;
      if (error) throw error;
      return publicOf(s, deliveryStateOf(hash as Record<string, string>, Number(card) + Number(changed)));
    });
  }
}
