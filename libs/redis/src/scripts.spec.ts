import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { defineScripts, readScripts } from './scripts';

describe('Lua scripts', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scripts-'));
    mkdirSync(join(dir, 'includes'));
    writeFileSync(join(dir, 'includes', 'shared-part.lua'), 'local function twice(x) return 2 * x end\n');
    writeFileSync(join(dir, 'double-1.lua'), '--- @include "shared-part"\nreturn twice(tonumber(ARGV[1]))\n');
    writeFileSync(join(dir, 'plain-0.lua'), 'return 1\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the command name and the number of keys from the file name, and splices in includes', () => {
    const [double, plain] = readScripts(dir, ['double-1.lua', 'plain-0.lua']);
    expect(double).toEqual({
      name: 'double',
      numberOfKeys: 1,
      lua: 'local function twice(x) return 2 * x end\n\nreturn twice(tonumber(ARGV[1]))\n',
    });
    expect(plain).toMatchObject({ name: 'plain', numberOfKeys: 0 });
  });

  it('refuses a file not named <name>-<number of keys>.lua', () => {
    expect(() => readScripts(dir, ['double.lua'])).toThrow(/<name>-<number of keys>\.lua/);
  });

  it('defines a directory once per client', () => {
    const defined: string[] = [];
    const client = { defineCommand: (name: string) => void defined.push(name) };
    defineScripts(client, dir, ['double-1.lua', 'plain-0.lua']);
    defineScripts(client, dir, ['double-1.lua', 'plain-0.lua']);
    const other = { defineCommand: (name: string) => void defined.push(`other:${name}`) };
    defineScripts(other, dir, ['plain-0.lua']);
    expect(defined).toEqual(['double', 'plain', 'other:plain']);
  });
});
