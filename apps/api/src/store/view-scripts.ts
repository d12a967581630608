import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Result } from 'ioredis';

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
const defined = new WeakSet<object>();

/** Defines the view scripts (./lua, named `<name>-<number of keys>.lua`) as commands of `redis`. */
export function defineViewScripts(redis: {
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
