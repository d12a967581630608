/**
 * A Docker daemon to build and run the images, and a compose command. On a Debian machine without
 * Docker, as root: Debian's docker.io is installed with apt-get and `dockerd` is started in the
 * background (its log in the cache dir), the way the dashboard test installs Chromium. Elsewhere the
 * answer is the reason it cannot, for the caller to print.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { commandWorks, ensureDebianPackages } from '../local/debian-packages';

const DAEMON_START_MS = 60_000;

/** Docker's own settings for every call: the classic builder, which needs no image from a registry. */
export const DOCKER_ENV = { DOCKER_BUILDKIT: '0', COMPOSE_DOCKER_CLI_BUILD: '0' } as const;

export function docker(
  args: string[],
  options: { timeoutMs?: number; cwd?: string } = {},
): SpawnSyncReturns<string> {
  return spawnSync('docker', args, {
    encoding: 'utf8',
    cwd: options.cwd,
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ...DOCKER_ENV },
  });
}

/** `docker ...` that must succeed: its stdout, trimmed; else an error with its stderr. */
export function dockerOut(args: string[], options: { timeoutMs?: number; cwd?: string } = {}): string {
  const result = docker(args, options);
  if (result.status !== 0)
    throw new Error(
      `docker ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${(result.stderr ?? '').slice(-3_000)}`,
    );
  return result.stdout.trim();
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const daemonAnswers = () =>
  docker(['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 }).status === 0;

/** Where `dockerd` started by us writes its log. */
export function dockerdLogFile(): string {
  const root = process.env.HBM_CACHE_DIR || path.join(os.homedir(), '.cache', 'handover-balance');
  return path.join(root, 'dockerd.log');
}

function startDockerd(): string | undefined {
  const log = dockerdLogFile();
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const out = fs.openSync(log, 'a');
  try {
    const child = spawn('dockerd', [], { detached: true, stdio: ['ignore', out, out] });
    child.on('error', () => undefined);
    child.unref();
  } finally {
    fs.closeSync(out);
  }
  const deadline = Date.now() + DAEMON_START_MS;
  while (Date.now() < deadline) {
    if (daemonAnswers()) return undefined;
    spawnSync('sleep', ['0.5']);
  }
  const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').slice(-15).join('\n') : '';
  return `dockerd did not answer within ${DAEMON_START_MS / 1000} s (log ${log}):\n${tail}`;
}

/**
 * Undefined when a Docker daemon answers (after installing and starting one where we may), else why
 * not: not root, no apt-get, the install failed, or dockerd would not start (no kernel support).
 */
export function dockerProblem(): string | undefined {
  if (daemonAnswers()) return undefined;
  if (!isRoot()) return 'no Docker daemon answers and this is not root, so none can be started here';
  try {
    ensureDebianPackages(
      [
        {
          name: 'docker.io',
          present: () => commandWorks('dockerd', ['--version']) && commandWorks('docker', ['--version']),
        },
      ],
      'building and running the images',
    );
  } catch (error) {
    return (error as Error).message;
  }
  if (daemonAnswers()) return undefined;
  return startDockerd();
}

/** `docker compose` (v2) when the client has it, else `docker-compose` (v1, Debian's package, installed when root). */
export function composeCommand(): string[] {
  if (docker(['compose', 'version'], { timeoutMs: 30_000 }).status === 0) return ['docker', 'compose'];
  ensureDebianPackages(
    [{ name: 'docker-compose', present: () => commandWorks('docker-compose', ['version']) }],
    'running the compose file',
  );
  return ['docker-compose'];
}
