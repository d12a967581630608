/** Child processes of a bench run: the services as operators start them, and their CPU time. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { resolve } from 'node:path';

import { sleep } from './progress';

const root = resolve(__dirname, '..', '..');

export class BenchProcess {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private opsUrl?: string;
  /** how it ended, once it has */
  exitStatus?: string;

  /**
   * `entry`: a TypeScript entry point relative to the repository root, run with node; or `command`
   * with its arguments (the JVM peer).
   */
  constructor(
    readonly name: string,
    entry: string | { command: string; args: string[] },
    env: NodeJS.ProcessEnv,
    nodeArgs: string[] = [],
  ) {
    const [command, args] =
      typeof entry === 'string'
        ? [process.execPath, [...nodeArgs, '-r', './deploy/local/register.js', entry]]
        : [entry.command, entry.args];
    this.child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        this.lines.push(line);
        const url = /serving metrics and health on (http:\/\/\S+?)["\s]/.exec(line);
        if (url) this.opsUrl = url[1];
      }
      if (this.lines.length > 500) this.lines.splice(0, this.lines.length - 500);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((done) =>
      this.child.on('exit', (code, signal) => {
        this.exitStatus = signal ? `killed by ${signal}` : `exited with code ${code}`;
        done({ code, signal });
      }),
    );
  }

  get pid(): number {
    return this.child.pid as number;
  }

  tail(n = 20): string {
    return this.lines.slice(-n).join('\n');
  }

  /** Waits until GET /health/ready answers 200 (services of apps/ only). */
  async ready(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exitStatus)
        throw new Error(`${this.name} ${this.exitStatus} before it was ready:\n${this.tail()}`);
      if (this.opsUrl) {
        const ok = await fetch(`${this.opsUrl}/health/ready`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return;
      }
      if (Date.now() > deadline)
        throw new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.tail()}`);
      await sleep(250);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used, or null when it cannot be read (not Linux, gone). */
export function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** The whole machine's busy and total CPU seconds (all cores), from /proc/stat. */
export function machineCpu(): { busy: number; total: number } | null {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = cpu[3] + (cpu[4] ?? 0);
    const total = cpu.reduce((a, b) => a + b, 0);
    return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
  } catch {
    return null;
  }
}
