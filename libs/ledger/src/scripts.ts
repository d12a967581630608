import { join } from 'node:path';

import { defineScripts, type ScriptHost } from '@app/redis';

const DIR = join(__dirname, 'lua');
const FILES = [
  'applyScans-1.lua',
  'refuseScan-1.lua',
  'tick-1.lua',
  'enqueueSummary-1.lua',
  'trimOutbox-1.lua',
  'ackAlert-1.lua',
  'resolveAlert-1.lua',
];

/** Defines every ledger script (lua/, `<name>-<number of keys>.lua`, lua/includes/ spliced in) as a command of `redis`. */
export function defineLedgerScripts(redis: ScriptHost): void {
  defineScripts(redis, DIR, FILES);
}
