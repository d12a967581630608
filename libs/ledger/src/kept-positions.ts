import type { RedisClient } from '@app/redis';

import { ledgerKeys } from './keys';

/**
 * The consumer group's kept positions in Redis (`ledgerKeys.positions`): per "<topic>:<partition>", the
 * next offset to consume, kept with the ledger state rather than in Kafka (see apps/ledger's
 * PartitionPositions for when they are written).
 */
export class KeptPositions {
  constructor(
    private readonly redis: RedisClient,
    private readonly group: string,
  ) {}

  /** The kept next offset of each "<topic>:<partition>" field, or null where none is kept. */
  async read(fields: string[]): Promise<(number | null)[]> {
    if (fields.length === 0) return [];
    const values = await this.redis.hmget(ledgerKeys.positions(this.group), ...fields);
    return values.map((v) => (v === null ? null : Number(v)));
  }

  /** Keeps these next offsets, by "<topic>:<partition>". */
  async write(positions: ReadonlyMap<string, number>): Promise<void> {
    if (positions.size === 0) return;
    const args: string[] = [];
    for (const [field, next] of positions) args.push(field, String(next));
    await this.redis.hset(ledgerKeys.positions(this.group), ...args);
  }
}
