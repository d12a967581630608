/**
 * What the fault tests share: a scenario produced steadily (and held back while a broker is down), the
 * ledger of a run read back in a form two runs can be compared in, the group's committed offsets per
 * partition, and waits on the group's progress that say where it stood.
 */
import { listShifts, readShiftLedger } from '@app/ledger';
import type { RedisClient } from '@app/redis';

import { produceLines, testKafka, waitFor } from './kafka';
import type { ServiceProcess } from './ledger-process';
import type { Scenario } from './scenario';

/** Every shift ledger of the scenario's facilities, with the run's prefix taken out of the names. */
export async function ledgersOf(redis: RedisClient, scenario: Scenario, prefix: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const facility of scenario.facilities) {
    for (const shiftId of await listShifts(redis, facility)) {
      out.push(
        JSON.parse(JSON.stringify(await readShiftLedger(redis, facility, shiftId)).replaceAll(prefix, 'X')),
      );
    }
  }
  return out;
}

/**
 * Produces a scenario's messages in order at about `perSecond`, in chunks of a quarter second, each
 * through a fresh idempotent producer (acks=all). `hold()` lets the chunk in flight finish and sends
 * nothing more until `release()`: a test that takes the broker away holds production meanwhile, so
 * that no chunk is half written and re-sent (a re-sent copy is a duplicate, and the stream would no
 * longer be the one the calm run consumed).
 */
export class SteadyProducer {
  /** messages acknowledged by the broker so far */
  produced = 0;
  readonly done: Promise<void>;
  private held = false;
  private inFlight = false;

  constructor(
    private readonly brokers: string,
    private readonly topic: string,
    private readonly scenario: Scenario,
    private readonly perSecond: number,
  ) {
    this.done = this.run();
  }

  private async run(): Promise<void> {
    const { messages } = this.scenario;
    const chunk = Math.max(500, Math.floor(this.perSecond / 4));
    for (let i = 0; i < messages.length; i += chunk) {
      while (this.held) await sleep(50);
      const started = Date.now();
      const part = messages.slice(i, i + chunk);
      this.inFlight = true;
      try {
        await produceLines(
          this.brokers,
          this.topic,
          part.map((m) => m.value),
          (_, j) => part[j].key,
        );
      } finally {
        this.inFlight = false;
      }
      this.produced += part.length;
      await sleep(Math.max(0, (part.length / this.perSecond) * 1000 - (Date.now() - started)));
    }
  }

  async hold(): Promise<void> {
    this.held = true;
    while (this.inFlight) await sleep(20);
  }

  release(): void {
    this.held = false;
  }
}

/** The group's committed offset per partition (partitions without one are absent). */
export async function committedByPartition(
  brokers: string,
  groupId: string,
  topic: string,
): Promise<Map<number, number>> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    const [{ partitions }] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map(
      partitions.filter((p) => Number(p.offset) >= 0).map((p) => [p.partition, Number(p.offset)]),
    );
  } finally {
    await admin.disconnect();
  }
}

/** The sum of the group's committed offsets over the topic's partitions. */
export async function committedTotal(brokers: string, groupId: string, topic: string): Promise<number> {
  let sum = 0;
  for (const offset of (await committedByPartition(brokers, groupId, topic)).values()) sum += offset;
  return sum;
}

/** Waits until the group has committed at least `count` messages; returns how many it had. */
export async function waitForCommitted(
  brokers: string,
  groupId: string,
  topic: string,
  count: number,
  services: ServiceProcess[],
  timeoutMs = 180_000,
): Promise<number> {
  let last = 0;
  return waitFor(
    async () => {
      last = await committedTotal(brokers, groupId, topic);
      return last >= count ? last : 0;
    },
    {
      what: `${count} messages committed by ${groupId} (at ${last}); the consumers said:\n${services
        .map((s) => s.tail(15))
        .join('\n---\n')}`,
      timeoutMs,
      intervalMs: 200,
    },
  );
}

/** The log lines in which a consumer said it rewound to the positions kept in Redis. */
export function rewindsOf(service: ServiceProcess): string[] {
  return service.output.filter((line) => line.includes('rewound to the positions kept in Redis'));
}

/** The partitions a ledger consumer said it was given last ("partitions assigned"). */
export function lastAssignment(service: ServiceProcess): number[] {
  const line = [...service.output].reverse().find((l) => l.includes('"partitions assigned"'));
  if (!line) return [];
  const { partitions } = JSON.parse(line) as { partitions: string[] };
  return partitions.map((p) => Number(p.slice(p.lastIndexOf(':') + 1)));
}

/** Seconds since `since`, to one decimal. */
export function secondsSince(since: number): number {
  return Math.round((Date.now() - since) / 100) / 10;
}

/** Figures of a fault run, printed after the tests (what hit when, how long recovery took). */
export const figures: Record<string, Record<string, unknown>> = {};

export function printFigures(): void {
  const lines = Object.entries(figures).map(([test, f]) => `  ${test}: ${JSON.stringify(f)}`);
  if (lines.length > 0) process.stdout.write(`\nFault figures:\n${lines.join('\n')}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether the process still runs (its exit has not been seen). */
export async function isRunning(service: ServiceProcess): Promise<boolean> {
  return Promise.race([service.exited.then(() => false), sleep(0).then(() => true)]);
}
