/**
 * What the project needs from the OS and installs itself on a fresh Debian machine: when a command or
 * file is missing and we are root with apt-get, its Debian package is installed (after `apt-get update`
 * if the package lists are stale); otherwise the error says what to install.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';

export interface DebianPackage {
  /** the Debian package name */
  name: string;
  /** true when what the package provides is already here */
  present: () => boolean;
}

/** Installs the packages that are not present yet; throws a message naming them when it cannot. */
export function ensureDebianPackages(packages: DebianPackage[], why: string): void {
  const missing = packages.filter((p) => !p.present()).map((p) => p.name);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !fs.existsSync('/usr/bin/apt-get')) {
    throw new Error(`${why} needs ${missing.join(', ')}: install it (apt-get install ${missing.join(' ')})`);
  }
  process.stderr.write(`${why}: installing the Debian package(s) ${missing.join(', ')} with apt-get\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], {
      env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
  let result = install();
  if (result.status !== 0) {
    spawnSync('apt-get', ['update', '-q'], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    result = install();
  }
  if (result.status !== 0) {
    throw new Error(`apt-get install ${missing.join(' ')} failed:\n${result.stderr.slice(-2_000)}`);
  }
  const still = packages.filter((p) => !p.present()).map((p) => p.name);
  if (still.length > 0) throw new Error(`apt-get installed ${still.join(', ')} but it is still not usable`);
}

/** True when `command args` runs and exits 0. */
export function commandWorks(command: string, args: string[] = ['--version']): boolean {
  return spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 }).status === 0;
}
