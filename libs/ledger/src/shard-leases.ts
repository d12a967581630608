import { claimLease, releaseLease, type RedisClient } from '@app/redis';

import { ledgerKeys } from './keys';

/** Which of `shards` shards a facility belongs to (FNV-1a of its id): the same answer in every process. */
export function shardOf(facilityId: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < facilityId.length; i++) {
    hash ^= facilityId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

/**
 * The watch shards this instance holds. Leases live in Redis with a time to live: an instance that
 * stops renewing (killed) loses its shards to the others after `leaseMs`. Instances take a fair share
 * each (shards / live instances, rounded up), so a second instance gets work without waiting.
 */
export class ShardLeases {
  readonly owned = new Set<number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly instanceId: string,
    private readonly shards: number,
    private readonly leaseMs: number,
  ) {}

  /** Renews what it holds and takes free shards up to its share; returns the shards gained and lost. */
  async refresh(nowMs: number): Promise<{ gained: number[]; lost: number[] }> {
    const members = ledgerKeys.watchMembers();
    await this.redis.zadd(members, nowMs, this.instanceId);
    await this.redis.zremrangebyscore(members, '-inf', nowMs - this.leaseMs);
    const live = Math.max(1, await this.redis.zcard(members));
    const share = Math.ceil(this.shards / live);

    const gained: number[] = [];
    const lost: number[] = [];
    for (const shard of [...this.owned]) {
      const keep = this.owned.size <= share || live === 1;
      const held = keep
        ? await claimLease(this.redis, ledgerKeys.watchLease(shard), this.instanceId, this.leaseMs)
        : (await releaseLease(this.redis, ledgerKeys.watchLease(shard), this.instanceId), false);
      if (!held) {
        this.owned.delete(shard);
        lost.push(shard);
      }
    }
    const start = shardOf(this.instanceId, this.shards);
    for (let i = 0; i < this.shards && this.owned.size < share; i++) {
      const shard = (start + i) % this.shards;
      if (this.owned.has(shard)) continue;
      if (await claimLease(this.redis, ledgerKeys.watchLease(shard), this.instanceId, this.leaseMs)) {
        this.owned.add(shard);
        gained.push(shard);
      }
    }
    return { gained, lost };
  }

  /** Gives every shard back (a clean stop): the others take them at once. */
  async releaseAll(): Promise<void> {
    for (const shard of this.owned)
      await releaseLease(this.redis, ledgerKeys.watchLease(shard), this.instanceId);
    this.owned.clear();
    await this.redis.zrem(ledgerKeys.watchMembers(), this.instanceId);
  }
}
