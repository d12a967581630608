import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What `defineScripts` needs of a client: ioredis's `Redis` and `Cluster` both have it. */
export interface ScriptHost {
  defineCommand(name: string, def: { numberOfKeys: number; lua: string }): void;
}

/** A script as ioredis `defineCommand` takes it. */
export interface LuaScript {
  name: string;
  numberOfKeys: number;
  lua: string;
}

const FILE_NAME = /^(\w+)-(\d+)\.lua$/;

/**
 * Reads the scripts `files` of `dir`, each named `<command name>-<number of KEYS>.lua`, splicing in
 * the `--- @include "name"` fragments of `dir`/includes/ (one copy of shared Lua, as a compile step).
 */
export function readScripts(dir: string, files: readonly string[]): LuaScript[] {
  return files.map((file) => {
    const match = FILE_NAME.exec(file);
    if (match === null) throw new Error(`a script file is named <name>-<number of keys>.lua, not ${file}`);
    const lua = readFileSync(join(dir, file), 'utf8').replace(
      /^--- @include "([\w-]+)"$/gm,
      (_, name: string) => readFileSync(join(dir, 'includes', `${name}.lua`), 'utf8'),
    );
    return { name: match[1], numberOfKeys: Number(match[2]), lua };
  });
}

const defined = new WeakMap<object, Set<string>>();

/**
 * Defines the scripts `files` of `dir` as commands of `redis` (EVALSHA, loading a script when Redis
 * lacks it), once per client and directory.
 */
export function defineScripts(redis: ScriptHost, dir: string, files: readonly string[]): void {
  let dirs = defined.get(redis);
  if (dirs === undefined) defined.set(redis, (dirs = new Set()));
  if (dirs.has(dir)) return;
  for (const script of readScripts(dir, files))
    redis.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
  dirs.add(dir);
}
