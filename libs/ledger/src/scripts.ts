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
  return ['applyScans-1.lua', 'promoteOrphans-1.lua'].map((file) => {
    const [, name, keys] = /^(\w+)-(\d+)\.lua$/.exec(file) as RegExpExecArray;
    return { name, numberOfKeys: Number(keys), lua: loadLua(file) };
  });
}
