import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Result } from 'ioredis';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    enqueueDeliveries(
      subscription: string,
      seen: string,
      seenAt: string,
      queue: string,
      bodies: string,
      due: string,
      id: string,
      nowMs: string,
      forgetMs: string,
      prompt: '0' | '1',
      ...entries: string[]
    ): Result<number, Context>;
    claimSubscriptionLease(lease: string, instanceId: string, ttlMs: string): Result<number, Context>;
    releaseSubscriptionLease(lease: string, instanceId: string): Result<number, Context>;
    markDelivered(
      queue: string,
      bodies: string,
      state: string,
      due: string,
      subscription: string,
      id: string,
      nowMs: string,
      nowIso: string,
      nextMs: string,
      ...deliveryIds: string[]
    ): Result<number, Context>;
    markFailed(
      state: string,
      due: string,
      subscription: string,
      id: string,
      nowIso: string,
      nextMs: string,
      error: string,
    ): Result<number, Context>;
    abandonExpired(
      queue: string,
      bodies: string,
      state: string,
      due: string,
      id: string,
      beforeMs: string,
    ): Result<string[], Context>;
    takeRobotSlot(
      sent: string,
      pause: string,
      nowMs: string,
      member: string,
      ...windows: string[]
    ): Result<number, Context>;
    absorbAlerts(
      queue: string,
      bodies: string,
      alerts: string,
      revisions: string,
      changed: string,
      subscription: string,
      ...groups: string[]
    ): Result<number, Context>;
    settleAlertmanager(
      subscription: string,
      state: string,
      due: string,
      targets: string,
      changed: string,
      alerts: string,
      revisions: string,
      queue: string,
      id: string,
      nextMs: string,
      nowMs: string,
      ...lists: string[]
    ): Result<number, Context>;
  }
}

const FILES = [
  'enqueueDeliveries-6.lua',
  'claimSubscriptionLease-1.lua',
  'releaseSubscriptionLease-1.lua',
  'markDelivered-5.lua',
  'markFailed-3.lua',
  'abandonExpired-4.lua',
  'takeRobotSlot-2.lua',
  'absorbAlerts-6.lua',
  'settleAlertmanager-8.lua',
];

const defined = new WeakSet<object>();

/** Defines the subscription scripts as commands of `redis` (file name: `<name>-<number of keys>.lua`). */
export function defineSubscriptionScripts(redis: {
  defineCommand(name: string, def: { numberOfKeys: number; lua: string }): void;
}): void {
  if (defined.has(redis)) return;
  for (const file of FILES) {
    const [, name, keys] = /^(\w+)-(\d+)\.lua$/.exec(file) as RegExpExecArray;
    redis.defineCommand(name, {
      numberOfKeys: Number(keys),
      lua: readFileSync(join(__dirname, 'lua', file), 'utf8'),
    });
  }
  defined.add(redis);
}
