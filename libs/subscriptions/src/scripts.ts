import { join } from 'node:path';

import type { Result } from 'ioredis';

import { defineScripts, type ScriptHost } from '@app/redis';

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
  'markDelivered-5.lua',
  'markFailed-3.lua',
  'abandonExpired-4.lua',
  'takeRobotSlot-2.lua',
  'absorbAlerts-6.lua',
  'settleAlertmanager-8.lua',
];

/** Defines the subscription scripts (./lua, `<name>-<number of keys>.lua`) as commands of `redis`. */
export function defineSubscriptionScripts(redis: ScriptHost): void {
  defineScripts(redis, join(__dirname, 'lua'), FILES);
}
