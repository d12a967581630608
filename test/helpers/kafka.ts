/**
 * Real-broker helpers for integration tests, in the manner of kafkajs's own testHelpers: random names
 * per test, topics created and waited on until every partition has a leader, waits that say what they
 * waited for, and bulk produce / read-back.
 */
import { randomBytes } from 'crypto';

import { IHeaders, Kafka, KafkaConfig, logCreator, logLevel, Partitioners } from 'kafkajs';

/** The run's broker, started by test/global-setup.ts. */
export function testBrokers(): string {
  const brokers = process.env.TEST_KAFKA_BROKERS;
  if (!brokers)
    throw new Error(
      'TEST_KAFKA_BROKERS is not set: run integration tests through jest --selectProjects integration',
    );
  return brokers;
}

/** `prefix-<time>-<random>`: unique per call, valid as a topic, group or client id. */
export function randomName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

// Logged by kafkajs while the group coordinator or a partition leader is still being set up on a
// fresh broker; kafkajs retries them, so in tests they are noise.
const RETRIED_NOISE = [
  /coordinator is (loading|not available)/i,
  /not the correct coordinator/i,
  /no leader for this topic-partition/i,
  /leader not available/i,
  /this server is not the leader/i,
];

/**
 * WARN and above, without the retried start-up noise. On a fresh broker a consumer's first run even
 * "crashes" on "coordinator is loading" and kafkajs restarts it 300 ms later: both lines are dropped.
 */
export const quietLogCreator: logCreator = () => {
  let lastCrashWasNoise = false;
  return ({ namespace, level, log }) => {
    const { message, error } = log as { message: string; error?: string };
    const text = `${message} ${error ?? ''}`;
    if (level > logLevel.WARN) return;
    if (RETRIED_NOISE.some((re) => re.test(text))) {
      if (message.startsWith('Crash')) lastCrashWasNoise = true;
      return;
    }
    if (lastCrashWasNoise && message.startsWith('Restarting the consumer')) {
      lastCrashWasNoise = false;
      return;
    }
    const label = level === logLevel.ERROR ? 'ERROR' : 'WARN';
    console.warn(`kafkajs ${label} [${namespace}] ${message}${error ? `: ${error}` : ''}`);
  };
};

/** A kafkajs client for tests: quiet, with short timeouts so a failure shows quickly. */
export function testKafka(brokers: string, overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: randomName('test'),
    brokers: brokers.split(','),
    logLevel: logLevel.WARN,
    logCreator: quietLogCreator,
    connectionTimeout: 3_000,
    ...overrides,
  });
}

export interface WaitOptions {
  /** what is awaited, for the timeout message ("3 messages on topic x") */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
  /**
   * Asked before each try: a reason why the wait can no longer succeed (a process it waits on has
   * exited), to fail with at once rather than at the timeout.
   */
  failIf?: () => string | undefined;
}

/**
 * Polls until predicate returns a truthy value and returns that value. A predicate that throws counts
 * as not yet; its last error is quoted if the wait times out. opts.failIf ends the wait early.
 */
export async function waitFor<T>(predicate: () => T | Promise<T>, opts: WaitOptions): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const hopeless = opts.failIf?.();
    if (hopeless) throw new Error(`stopped waiting for ${opts.what}: ${hopeless}`);
    try {
      const value = await predicate();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause =
        lastError === undefined ? '' : ` (last error: ${(lastError as Error).message ?? lastError})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Creates the topic (one replica) and returns once every partition has a leader. */
export async function createTopic(
  brokers: string,
  topic: string,
  partitions = 1,
  config: Record<string, string> = {},
): Promise<void> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: partitions,
          replicationFactor: 1,
          configEntries: Object.entries(config).map(([name, value]) => ({ name, value })),
        },
      ],
      waitForLeaders: true,
    });
    await waitFor(
      async () => {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        const found = topics[0]?.partitions ?? [];
        return found.length === partitions && found.every((p) => p.leader >= 0);
      },
      { what: `a leader for each of the ${partitions} partitions of ${topic}`, timeoutMs: 30_000 },
    );
  } finally {
    await admin.disconnect();
  }
}

export type MessageKey = string | Buffer | null | undefined;

/**
 * Produces the values in order, ~1,000 per request, through an idempotent producer (acks=all, one
 * request in flight, so order and exactly-once writes hold even when kafkajs retries). Returns the
 * number of messages written.
 */
export async function produceLines(
  brokers: string,
  topic: string,
  values: (string | Buffer)[],
  keyOf?: (value: string | Buffer, index: number) => MessageKey,
): Promise<number> {
  const chunkSize = 1_000;
  const producer = testKafka(brokers).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    for (let start = 0; start < values.length; start += chunkSize) {
      const chunk = values.slice(start, start + chunkSize);
      await producer.send({
        topic,
        acks: -1,
        messages: chunk.map((value, i) => ({ key: keyOf?.(value, start + i) ?? null, value })),
      });
    }
  } finally {
    await producer.disconnect();
  }
  return values.length;
}

/** Produces keyed messages in the background at about `perSecond`, in order. */
export function produceSteadily(
  brokers: string,
  topic: string,
  messages: { key: MessageKey; value: string | Buffer }[],
  perSecond: number,
): Promise<void> {
  return (async () => {
    const chunk = Math.max(250, Math.floor(perSecond / 4));
    for (let i = 0; i < messages.length; i += chunk) {
      const started = Date.now();
      const part = messages.slice(i, i + chunk);
      await produceLines(
        brokers,
        topic,
        part.map((m) => m.value),
        (_, j) => part[j].key,
      );
      const due = (part.length / perSecond) * 1000 - (Date.now() - started);
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
    }
  })();
}

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  value: string | null;
  valueBuffer: Buffer | null;
  /** header values decoded as UTF-8 (the last one when a header repeats) */
  headers: Record<string, string>;
  rawHeaders: IHeaders;
}

function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (last !== undefined) decoded[name] = last.toString();
  }
  return decoded;
}

/**
 * Reads a topic from the beginning in a fresh group until `expected` messages have arrived (by default:
 * everything up to the end offsets at the time of the call), sorted by partition and offset.
 */
export async function consumeAll(
  brokers: string,
  topic: string,
  opts: { expected?: number; timeoutMs?: number } = {},
): Promise<ConsumedMessage[]> {
  const kafka = testKafka(brokers);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let expected = opts.expected;
  if (expected === undefined) {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      expected = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    } finally {
      await admin.disconnect();
    }
  }
  const want = expected;
  const messages: ConsumedMessage[] = [];
  if (want === 0) return messages;

  const consumer = kafka.consumer({ groupId: randomName('consume-all'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let crashed: Error | undefined;
    // a crash kafkajs restarts from (restart: true) is a retriable hiccup, not a failure
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) crashed = payload.error;
    });
    await consumer.run({
      eachMessage: async ({ topic: t, partition, message }) => {
        messages.push({
          topic: t,
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          valueBuffer: message.value,
          headers: decodeHeaders(message.headers),
          rawHeaders: message.headers ?? {},
        });
      },
    });
    await waitFor(
      () => {
        if (crashed) throw new Error(`consumer crashed: ${crashed.message}`);
        return messages.length >= want;
      },
      { what: `${want} messages on ${topic}`, timeoutMs, intervalMs: 50 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; received ${messages.length} of them`);
    });
  } finally {
    await consumer.disconnect();
  }
  return messages.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}
