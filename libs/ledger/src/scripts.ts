import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(__dirname, 'lua');

/** Reads a script and splices in its `--- @include "name"` fragments from lua/includes/. */
export function loadLua(file: string): string {
  return readFileSync(join(dir, file), 'utf8').replace(/^--- @include "([\w-]+)"$/gm, (_, name: string) =>
    readFileSync(join(dir, 'includes', `${name}.lua`), 'utf8'),
  );
}

export interface LedgerScript {
  name: string;
  numberOfKeys: number;
  lua: string;
}

/** The scripts, named for ioredis `defineCommand` (file name: `<name>-<number of keys>.lua`). */
export function ledgerScripts(): LedgerScript[] {
  const files = [
    'applyScans-1.lua',
    'refuseScan-1.lua',
    'tick-1.lua',
    'enqueueSummary-1.lua',
    'trimOutbox-1.lua',
    'claimLease-1.lua',
    'releaseLease-1.lua',
    'ackAlert-1.lua',
    'resolveAlert-1.lua',
  ];
  return files.map((file) => {
    const [, name, keys] = /^(\w+)-(\d+)\.lua$/.exec(file) as RegExpExecArray;
    return { name, numberOfKeys: Number(keys), lua: loadLua(file) };
  });
}

const defined = new WeakSet<object>();

/** Defines every ledger script as a command of `redis` (EVALSHA, loading the script when Redis lacks it). */
export function defineLedgerScripts(redis: {
  defineCommand(name: string, def: { numberOfKeys: number; lua: string }): void;
}): void {
  if (defined.has(redis)) return;
  for (const script of ledgerScripts())
    redis.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
  defined.add(redis);
}
