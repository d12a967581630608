/**
 * A local redis-server without Docker, run the way the spec requires wherever the project starts one:
 * append-only file on (`appendfsync everysec`), no RDB snapshots, bound to 127.0.0.1, in the
 * foreground (`--daemonize no`) as a detached child tracked by a pid file.
 *
 * Data dir layout: redis.pid, redis.log (Redis's log), redis.out (stdout and stderr, where config
 * errors land before the log file opens), appendonlydir/ (the AOF, which a restart replays).
 */
import { execFile, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';

import Redis from 'ioredis';

import {
  findExecutable,
  isRunning,
  killHard,
  removeFile,
  sleep,
  tailOf,
  terminate,
  trackedPid,
  writePidFile,
} from './local-process';
import { assertPortFree } from './ports';

const STOP_GRACE_MS = 20_000;
const SBIN_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/opt/homebrew/bin'];
const execFileAsync = promisify(execFile);

export interface LocalRedis {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  /** redis_version from INFO */
  version: string;
  logFile: string;
  /** true when an already running server was adopted instead of started */
  reused: boolean;
  stop(): Promise<void>;
}

export interface RedisStartOptions {
  port: number;
  dataDir: string;
  /** more `--name value` arguments, after ours (so they win) */
  extraArgs?: string[];
  /** how long to wait for PING (default 30 s) */
  timeoutMs?: number;
}

function redisFiles(dataDir: string) {
  return {
    pidFile: path.join(dataDir, 'redis.pid'),
    logFile: path.join(dataDir, 'redis.log'),
    outFile: path.join(dataDir, 'redis.out'),
  };
}

/**
 * The path of redis-server. When it is missing and we are root on a Debian-like system, installs the
 * `redis-server` package with apt-get; otherwise fails saying what to install.
 */
export async function ensureRedisInstalled(): Promise<string> {
  const found = findExecutable('redis-server', SBIN_DIRS);
  if (found) return found;

  const apt = findExecutable('apt-get', SBIN_DIRS);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!apt || !isRoot) {
    throw new Error(
      'redis-server not found: install Redis 7 (Debian/Ubuntu: sudo apt-get install -y redis-server; ' +
        'macOS: brew install redis) and run again',
    );
  }
  process.stderr.write('redis-server not found: installing the Debian package redis-server with apt-get\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await execFileAsync(apt, ['update'], { env, maxBuffer: 64 * 1024 * 1024 });
    await execFileAsync(apt, ['install', '-y', '--no-install-recommends', 'redis-server'], {
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`apt-get install redis-server failed (${message.split('\n')[0]}):\n${stderr ?? ''}`);
  }
  const installed = findExecutable('redis-server', SBIN_DIRS);
  if (!installed) throw new Error('apt-get installed redis-server but no redis-server executable was found');
  return installed;
}

/** `redis-server --version`, e.g. "7.0.15". */
export function redisServerVersion(redisServer: string): string {
  const out = execFileSync(redisServer, ['--version'], { encoding: 'utf8' });
  return /v=(\S+)/.exec(out)?.[1] ?? out.trim();
}

function runningRedisPid(dataDir: string, port: number): number | undefined {
  // Redis rewrites its process title to "redis-server 127.0.0.1:<port>" once it is up.
  return trackedPid(
    redisFiles(dataDir).pidFile,
    (cmd) => /redis/.test(cmd) && (cmd.includes(`:${port}`) || cmd.includes(`--port ${port} `)),
  );
}

function anyRedisPid(dataDir: string): number | undefined {
  return trackedPid(redisFiles(dataDir).pidFile, (cmd) => /redis-(server|check)/.test(cmd));
}

/** The pid of the redis-server running from this data dir, if any. */
export function redisPid(dataDir: string): number | undefined {
  return anyRedisPid(path.resolve(dataDir));
}

/** One PING; resolves to redis_version when the server answers, undefined otherwise. */
export async function redisAnswers(url: string, timeoutMs = 1_000): Promise<string | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    if ((await client.ping()) !== 'PONG') return undefined;
    const info = await client.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

async function waitForPing(
  url: string,
  pid: number,
  dataDir: string,
  timeoutMs: number,
  exited: () => string | undefined,
): Promise<string> {
  const files = redisFiles(dataDir);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exit = exited() ?? (isRunning(pid) ? undefined : 'exited');
    if (exit)
      throw new Error(
        `redis-server (pid ${pid}) ${exit} before answering PING on ${url}\n${tailOf([files.logFile, files.outFile])}`,
      );
    // While it replays the AOF, Redis answers PING with a LOADING error: keep waiting.
    const version = await redisAnswers(url);
    if (version) return version;
    if (Date.now() >= deadline) {
      throw new Error(
        `redis-server (pid ${pid}) did not answer PING on ${url} within ${timeoutMs} ms\n${tailOf([files.logFile, files.outFile])}`,
      );
    }
    await sleep(50);
  }
}

function handle(dataDir: string, port: number, pid: number, version: string, reused: boolean): LocalRedis {
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid,
    dataDir,
    version,
    logFile: redisFiles(dataDir).logFile,
    reused,
    stop: () => stopRedis(dataDir),
  };
}

/**
 * Starts redis-server on 127.0.0.1:port from this data dir, or adopts the one already running from it
 * on that port. A restart on the same dir replays the AOF, so acknowledged writes older than about a
 * second survive even a SIGKILL.
 */
export async function startRedis(opts: RedisStartOptions): Promise<LocalRedis> {
  const dataDir = path.resolve(opts.dataDir);
  const files = redisFiles(dataDir);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const url = `redis://127.0.0.1:${opts.port}`;
  fs.mkdirSync(dataDir, { recursive: true });

  const running = runningRedisPid(dataDir, opts.port);
  if (running !== undefined) {
    const version = await waitForPing(url, running, dataDir, timeoutMs, () => undefined);
    return handle(dataDir, opts.port, running, version, true);
  }
  const other = anyRedisPid(dataDir);
  if (other !== undefined) {
    throw new Error(
      `redis-server (pid ${other}) already runs from ${dataDir} on another port: stop it first`,
    );
  }
  removeFile(files.pidFile);

  const redisServer = await ensureRedisInstalled();
  await assertPortFree(opts.port, 'Redis');
  // prettier-ignore
  const args = [
    '--port', String(opts.port),
    '--bind', '127.0.0.1',
    '--protected-mode', 'yes',
    '--dir', dataDir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--save', '',
    '--daemonize', 'no',
    '--logfile', files.logFile,
    ...(opts.extraArgs ?? []),
  ];

  const out = fs.openSync(files.outFile, 'a');
  let exitReason: string | undefined;
  try {
    const child = spawn(redisServer, args, { cwd: dataDir, detached: true, stdio: ['ignore', out, out] });
    if (child.pid === undefined) throw new Error(`could not spawn ${redisServer}`);
    child.on('error', (error) => (exitReason = `failed to run: ${error.message}`));
    child.on('exit', (code, signal) => (exitReason = `exited with ${signal ?? `code ${code}`}`));
    child.unref();
    writePidFile(files.pidFile, child.pid);
    try {
      const version = await waitForPing(url, child.pid, dataDir, timeoutMs, () => exitReason);
      return handle(dataDir, opts.port, child.pid, version, false);
    } catch (error) {
      if (isRunning(child.pid)) await killHard(child.pid);
      removeFile(files.pidFile);
      throw error;
    }
  } finally {
    fs.closeSync(out);
  }
}

/** SIGTERM (Redis flushes the AOF and exits), up to 20 s, then SIGKILL. No-op when nothing runs there. */
export async function stopRedis(dataDir: string): Promise<void> {
  const resolved = path.resolve(dataDir);
  const pid = anyRedisPid(resolved);
  if (pid !== undefined) await terminate(pid, STOP_GRACE_MS);
  removeFile(redisFiles(resolved).pidFile);
}

/** SIGKILL, for fault tests: up to the last second of writes may be lost (appendfsync everysec). */
export async function killRedis(dataDir: string): Promise<void> {
  const resolved = path.resolve(dataDir);
  const pid = anyRedisPid(resolved);
  if (pid !== undefined) await killHard(pid);
  removeFile(redisFiles(resolved).pidFile);
}
