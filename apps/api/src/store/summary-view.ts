import { ShiftSummary, shiftSummaryKey } from '@app/contracts';
import type { RedisClient } from '@app/redis';

import { viewKeys } from './keys';
import { defineViewScripts } from './view-scripts';

/** The API's view of the shift-summaries topic: the latest revision per shift, newest shift first. */
export class SummaryView {
  constructor(private readonly redis: RedisClient) {
    defineViewScripts(redis);
  }

  async get(facilityId: string, shiftId: string): Promise<ShiftSummary | null> {
    const raw = await this.redis.hget(viewKeys.summaries(), shiftSummaryKey(facilityId, shiftId));
    return raw === null ? null : ShiftSummary.parse(JSON.parse(raw));
  }

  async latest(facilityId: string, limit: number): Promise<ShiftSummary[]> {
    const keys = await this.redis.zrange(viewKeys.summaryIndex(facilityId), 0, limit - 1, 'REV');
    if (keys.length === 0) return [];
    const raw = await this.redis.hmget(viewKeys.summaries(), ...keys);
    return raw.flatMap((value) => (value === null ? [] : [ShiftSummary.parse(JSON.parse(value))]));
  }
}
