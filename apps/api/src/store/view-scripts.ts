import { join } from 'node:path';

import type { Result } from 'ioredis';

import { defineScripts, type ScriptHost } from '@app/redis';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    ingestAlerts(
      alerts: string,
      meta: string,
      changes: string,
      ...args: string[]
    ): Result<[number, number, number], Context>;
    ingestSummaries(
      summaries: string,
      revisions: string,
      ...args: string[]
    ): Result<[number, number], Context>;
  }
}

const FILES = ['ingestAlerts-3.lua', 'ingestSummaries-2.lua'];

/** Defines the view scripts (./lua, named `<name>-<number of keys>.lua`) as commands of `redis`. */
export function defineViewScripts(redis: ScriptHost): void {
  defineScripts(redis, join(__dirname, 'lua'), FILES);
}
