import type { Result } from 'ioredis';

import type { RedisClient } from '@app/redis';

import { ledgerKeys } from './keys';
import { defineLedgerScripts } from './scripts';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    ackAlert(
      alert: string,
      prefix: string,
      alertId: string,
      by: string,
      now: string,
    ): Result<number, Context>;
    resolveAlert(alert: string, prefix: string, alertId: string, now: string): Result<number, Context>;
  }
}

export type AckOutcome = 'recorded' | 'unknown';
export type ResolveOutcome = 'cleared' | 'already-resolved' | 'unknown' | 'not-resolvable';

/**
 * What a person does to an alert of the watch (through the API). Both only mark the alert in Redis;
 * the watch's next tick publishes its next revision on the alerts topic, as for any other change.
 */
export class AlertActions {
  constructor(private readonly redis: RedisClient) {
    defineLedgerScripts(redis);
  }

  /** Records the acknowledgement: the next revision carries `acknowledgedBy: by`. */
  async acknowledge(facilityId: string, alertId: string, by: string, nowMs: number): Promise<AckOutcome> {
    const done = await this.redis.ackAlert(
      ledgerKeys.alert(facilityId, alertId),
      ledgerKeys.prefix(facilityId),
      alertId,
      by,
      String(nowMs),
    );
    return done === 1 ? 'recorded' : 'unknown';
  }

  /** Clears an UNCONSENTED_DELIVERY alert's items: the next revision is RESOLVED. */
  async resolve(facilityId: string, alertId: string, nowMs: number): Promise<ResolveOutcome> {
    const code = await this.redis.resolveAlert(
      ledgerKeys.alert(facilityId, alertId),
      ledgerKeys.prefix(facilityId),
      alertId,
      String(nowMs),
    );
    return code === 1
      ? 'cleared'
      : code === 2
        ? 'already-resolved'
        : code === -1
          ? 'not-resolvable'
          : 'unknown';
  }
}
