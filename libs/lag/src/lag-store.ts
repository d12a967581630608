import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Result } from 'ioredis';

import type { RedisClient } from '@app/redis';

import { GroupWindow } from './group-window';
import { LagAlertState } from './lag-alert';
import { lagKeys } from './keys';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    claimMonitorLease(lease: string, instanceId: string, ttlMs: string): Result<number, Context>;
    releaseMonitorLease(lease: string, instanceId: string): Result<number, Context>;
  }
}

const SCRIPTS = ['claimMonitorLease-1.lua', 'releaseMonitorLease-1.lua'];
const defined = new WeakSet<object>();

function defineScripts(redis: RedisClient): void {
  if (defined.has(redis)) return;
  for (const file of SCRIPTS) {
    const [, name, keys] = /^(\w+)-(\d+)\.lua$/.exec(file) as RegExpExecArray;
    redis.defineCommand(name, {
      numberOfKeys: Number(keys),
      lua: readFileSync(join(__dirname, 'lua', file), 'utf8'),
    });
  }
  defined.add(redis);
}

/**
 * The lag monitor's state in Redis: each group's window (so a restarted monitor goes on with it, with
 * no blind period), each group's CONSUMER_LAG alert, and the lease that lets one monitor be active.
 */
export class LagStore {
  constructor(readonly redis: RedisClient) {
    defineScripts(redis);
  }

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

  /** Takes or renews the active monitor's lease; true when this instance holds it. */
  async claimLease(instanceId: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.claimMonitorLease(lagKeys.lease(), instanceId, String(ttlMs))) === 1;
  }

  async releaseLease(instanceId: string): Promise<void> {
    await this.redis.releaseMonitorLease(lagKeys.lease(), instanceId);
  }
}
