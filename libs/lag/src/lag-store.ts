import { claimLease, releaseLease, type RedisClient } from '@app/redis';

import { GroupWindow } from './group-window';
import { readLagReport, writeLagReport, type LagReport } from './lag-report';
import { LagAlertState } from './lag-alert';
import { lagKeys } from './keys';

/**
 * The lag monitor's state in Redis: each group's window (so a restarted monitor goes on with it, with
 * no blind period), each group's CONSUMER_LAG alert, and the lease that lets one monitor be active.
 */
export class LagStore {
  constructor(private readonly redis: RedisClient) {}

  /** The stored windows of these groups; a group never sampled (or stored unreadably) is absent. */
  async windows(groups: string[]): Promise<Map<string, GroupWindow>> {
    const found = new Map<string, GroupWindow>();
    for (const group of groups) {
      const raw = await this.redis.get(lagKeys.window(group));
      if (raw === null) continue;
      const parsed = GroupWindow.safeParse(JSON.parse(raw));
      if (parsed.success && parsed.data.group === group) found.set(group, parsed.data);
    }
    return found;
  }

  async saveWindow(window: GroupWindow): Promise<void> {
    await this.redis.set(lagKeys.window(window.group), JSON.stringify(window));
  }

  async alertState(group: string): Promise<LagAlertState | null> {
    const raw = await this.redis.get(lagKeys.alert(group));
    return raw === null ? null : LagAlertState.parse(JSON.parse(raw));
  }

  async saveAlertState(group: string, state: LagAlertState): Promise<void> {
    await this.redis.set(lagKeys.alert(group), JSON.stringify(state));
  }

  /** The last lag report (what GET /api/v1/lag shows), or null. */
  readReport(): Promise<LagReport | null> {
    return readLagReport(this.redis);
  }

  async writeReport(report: LagReport): Promise<void> {
    await writeLagReport(this.redis, report);
  }

  /** Takes or renews the active monitor's lease; true when this instance holds it. */
  async claimLease(instanceId: string, ttlMs: number): Promise<boolean> {
    return claimLease(this.redis, lagKeys.lease(), instanceId, ttlMs);
  }

  async releaseLease(instanceId: string): Promise<void> {
    await releaseLease(this.redis, lagKeys.lease(), instanceId);
  }
}
