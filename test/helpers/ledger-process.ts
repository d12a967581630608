import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import type { Redis } from 'ioredis';

import { listShifts, readShiftLedger } from '@app/ledger';

import { testKafka, waitFor, type WaitOptions } from './kafka';
import type { ExpectedTotals } from './scenario';

const root = join(__dirname, '..', '..');

/** A service of apps/ as a child process, as an operator runs it. */
export class ServiceProcess {
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** how it exited, once it has */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly child: ChildProcess;

  constructor(app: 'ledger' | 'watch' | 'api' | 'notifier' | 'lag-monitor', env: Record<string, string>) {
    this.child = spawn(process.execPath, ['-r', './deploy/local/register.js', `apps/${app}/src/main.ts`], {
      cwd: root,
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        KAFKA_SESSION_TIMEOUT_SECONDS: '6',
        CHECKPOINT_LAG_SECONDS: '2',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.output.push(...chunk.toString().split('\n').filter(Boolean));
      if (this.output.length > 2_000) this.output.splice(0, this.output.length - 2_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
  }

  get pid(): number {
    return this.child.pid as number;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /**
   * The port it serves /metrics and /health on, from its start-up line (with a *_METRICS_PORT of 0 it
   * picks one), or undefined before that line.
   */
  get metricsPort(): number | undefined {
    for (const line of this.output) {
      if (!line.includes('serving metrics')) continue;
      const port = (JSON.parse(line) as { port?: number }).port;
      if (port) return port;
    }
    return undefined;
  }

  /** The last lines it printed, for a failing test's message. */
  tail(lines = 30): string {
    return this.output.slice(-lines).join('\n');
  }
}

/** Why waiting on these services is hopeless: the first that has exited, how, and its last lines. */
export function exitOf(...services: ServiceProcess[]): string | undefined {
  const gone = services.find((s) => s.exit);
  if (!gone?.exit) return undefined;
  const how = gone.exit.signal ? `signal ${gone.exit.signal}` : `code ${gone.exit.code}`;
  return `process ${gone.pid} exited (${how}); it said:\n${gone.tail()}`;
}

/**
 * waitFor a condition that running services bring about (ready, consumed, delivered): fails as soon
 * as one of them exits, with its exit and last lines, rather than at the timeout; a timeout quotes
 * their last lines as they are then.
 */
export async function waitWhileRunning<T>(
  services: ServiceProcess | ServiceProcess[],
  predicate: () => T | Promise<T>,
  opts: WaitOptions,
): Promise<T> {
  const list = Array.isArray(services) ? services : [services];
  let stoppedEarly = false;
  const failIf = () => {
    const reason = opts.failIf?.() ?? exitOf(...list);
    stoppedEarly = reason !== undefined;
    return reason;
  };
  try {
    return await waitFor(predicate, { ...opts, failIf });
  } catch (error) {
    if (stoppedEarly) throw error;
    const said = list.map((s) => `process ${s.pid} said:\n${s.tail()}`).join('\n---\n');
    throw new Error(`${(error as Error).message}; ${said}`);
  }
}

/**
 * Waits until a service answers 200 on /health/ready at `port` (its *_METRICS_PORT; by default the one
 * it says it serves on): it has loaded, connected and joined its group. A signal before that tests its
 * start-up, not its shutdown.
 */
export async function waitUntilReady(
  service: ServiceProcess,
  port?: number,
  timeoutMs = 60_000,
): Promise<void> {
  await waitWhileRunning(
    service,
    async () => {
      const at = port ?? service.metricsPort;
      if (!at) return false; // not serving yet
      try {
        return (await fetch(`http://127.0.0.1:${at}/health/ready`)).status === 200;
      } catch {
        return false; // not listening yet
      }
    },
    { what: `ready on port ${port ?? '(the one it serves on)'}`, timeoutMs, intervalMs: 100 },
  );
}

/** The ledger consumer (apps/ledger). */
export class LedgerProcess extends ServiceProcess {
  constructor(env: Record<string, string>) {
    super('ledger', env);
  }
}

/** Sums, per partition, how far the group has committed, and the topic's end offsets. */
export async function groupProgress(
  brokers: string,
  groupId: string,
  topic: string,
): Promise<{ committed: number; end: number }> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    const [offsets, ends] = await Promise.all([
      admin.fetchOffsets({ groupId, topics: [topic] }),
      admin.fetchTopicOffsets(topic),
    ]);
    const committed = offsets[0].partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    const end = ends.reduce((sum, p) => sum + Number(p.high), 0);
    return { committed, end };
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the group has committed every message of the topic. */
export async function waitUntilConsumed(
  brokers: string,
  groupId: string,
  topic: string,
  ledger: LedgerProcess,
  timeoutMs = 120_000,
): Promise<void> {
  await waitWhileRunning(
    ledger,
    async () => {
      const { committed, end } = await groupProgress(brokers, groupId, topic);
      return end > 0 && committed === end;
    },
    {
      what: `group ${groupId} to commit all of ${topic}`,
      timeoutMs,
      intervalMs: 250,
    },
  );
}

/** A facility's totals summed over all its shifts, in the shape of the scenario's expectations. */
export async function facilityTotals(redis: Redis, facilityId: string): Promise<ExpectedTotals> {
  const sum: ExpectedTotals = {
    handedOut: 0,
    received: 0,
    delivered: 0,
    locker: 0,
    pickupPoint: 0,
    returned: 0,
    open: 0,
    orphans: 0,
    duplicates: 0,
    closedLate: 0,
    unconsented: 0,
  };
  for (const shiftId of await listShifts(redis, facilityId)) {
    const ledger = await readShiftLedger(redis, facilityId, shiftId);
    for (const [counter, n] of Object.entries(ledger.totals)) sum[counter as keyof ExpectedTotals] += n;
    sum.unconsented += ledger.violations.unconsentedDelivery;
  }
  return sum;
}
