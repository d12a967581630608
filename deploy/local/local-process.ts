/**
 * Process plumbing shared by local-kafka.ts and local-redis.ts: detached servers tracked by a pid file
 * in their data dir, so a later command (another `npm run infra`, a jest teardown) can find, reuse or
 * stop them. A pid is only trusted when the live process's command line still looks like our server,
 * because pids are reused after a reboot or a crash.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Alive, meaning some thread of it still runs. A dead child stays in the process table as a zombie
 * until its parent reaps it, and a multi-threaded server's main thread shows as a zombie while its
 * other threads (which may still hold the listening socket) are exiting: neither answers kill(pid, 0)
 * honestly, so the thread list decides.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return processState(pid) !== 'Z' || liveThreads(pid) > 1;
}

function liveThreads(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).length;
  } catch {
    return 0;
  }
}

function processState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return psField(pid, 'stat')?.charAt(0);
  }
}

/** The full command line, or undefined when the process is gone. */
export function commandLine(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return psField(pid, 'command');
  }
}

// Fallback for systems without /proc (macOS).
function psField(pid: number, field: 'stat' | 'command'): string | undefined {
  try {
    const out = execFileSync('ps', ['-o', `${field}=`, '-p', String(pid)], { encoding: 'utf8' }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function writePidFile(file: string, pid: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${pid}\n`);
  fs.renameSync(tmp, file);
}

export function removeFile(file: string): void {
  fs.rmSync(file, { force: true });
}

/** The pid from the pid file when it names a live process whose command line passes `looksOurs`. */
export function trackedPid(pidFile: string, looksOurs: (cmdline: string) => boolean): number | undefined {
  const pid = readPidFile(pidFile);
  if (pid === undefined || !isRunning(pid)) return undefined;
  const cmdline = commandLine(pid);
  return cmdline !== undefined && looksOurs(cmdline) ? pid : undefined;
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * SIGKILL the server and its process group (a detached child leads its own group, so a Redis
 * rewrite child dies with it), and wait until it is really gone.
 */
export async function killHard(pid: number): Promise<void> {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // not a group leader, or already gone
    }
  }
  if (!(await waitForExit(pid, 10_000))) throw new Error(`process ${pid} survived SIGKILL for 10 s`);
}

/** SIGTERM, wait up to graceMs for a clean shutdown, then SIGKILL. */
export async function terminate(pid: number, graceMs: number): Promise<'exited' | 'killed'> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'exited';
  }
  if (await waitForExit(pid, graceMs)) return 'exited';
  await killHard(pid);
  return 'killed';
}

/** The last lines of each file that exists, labelled, for error messages about a failed start. */
export function tailOf(files: string[], lines = 30): string {
  const parts: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      const size = fs.statSync(file).size;
      const fd = fs.openSync(file, 'r');
      try {
        const length = Math.min(size, 64 * 1024);
        const buffer = Buffer.alloc(length);
        fs.readSync(fd, buffer, 0, length, size - length);
        text = buffer.toString('utf8');
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      continue;
    }
    const tail = text.trimEnd().split('\n').slice(-lines).join('\n');
    if (tail) parts.push(`--- last lines of ${file} ---\n${tail}`);
  }
  return parts.length ? parts.join('\n') : '(no log output)';
}

/** An executable found on PATH or in the extra dirs (sbin dirs are often missing from a user's PATH). */
export function findExecutable(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}
