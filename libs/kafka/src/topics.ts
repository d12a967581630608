import type { Admin } from 'kafkajs';

import type { JsonLogger } from '@app/observability';
import { Backoff, sleep, ThrottledLog, type WarnLogger } from '@app/retry';

import { createKafka, type KafkaConnection } from './kafka-client';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  configEntries?: { name: string; value: string }[];
}

/** How ensureTopics polls for leaders: soon at first (a fresh topic gets them in well under a second), then less often. */
const LEADER_POLL = { baseMs: 100, maxMs: 2_000, jitter: 0.5 };

/**
 * Creates the topics that do not exist yet and waits until each partition has a leader. Several
 * services may start at once on a fresh cluster: one that finds a topic created by another goes on.
 * While it waits, a metadata request that fails is logged through `log` (once per 10 s, with a count).
 */
export async function ensureTopics(
  admin: Admin,
  specs: TopicSpec[],
  timeoutMs = 60_000,
  log?: WarnLogger,
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) {
    try {
      await admin.createTopics({
        topics: missing.map((s) => ({ ...s, replicationFactor: -1 })),
        waitForLeaders: false,
      });
    } catch (error) {
      if (!/already exists/i.test(String((error as Error).message))) throw error;
    }
  }
  const names = specs.map((s) => s.topic);
  const deadline = Date.now() + timeoutMs;
  const backoff = new Backoff(LEADER_POLL);
  const throttled = log ? new ThrottledLog(log) : undefined;
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      if (topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      throttled?.warn('topic-metadata', 'topic metadata request failed; retrying', {
        topics: names,
        error: (error as Error).message,
      });
    }
    if (Date.now() > deadline)
      throw new Error(`topics ${names.join(', ')} have no leaders after ${timeoutMs} ms`);
    await sleep(Math.min(backoff.next(), Math.max(0, deadline - Date.now())));
  }
  return missing.map((s) => s.topic);
}

/** What a service makes sure exists before it starts: connects, ensures the topics, logs what it created. */
export async function prepareTopics(
  conn: KafkaConnection,
  logger: JsonLogger,
  specs: TopicSpec[],
): Promise<void> {
  const admin = createKafka(conn, logger).admin();
  await admin.connect();
  try {
    const created = await ensureTopics(admin, specs, 60_000, logger);
    if (created.length > 0) logger.info('created topics', { topics: created });
  } finally {
    await admin.disconnect();
  }
}

/**
 * The watch's output: the alerts, and the compacted shift summaries. Every service that reads or writes
 * them creates them the same way, so whichever starts first on a fresh cluster makes them.
 */
export function outputTopics(config: {
  alertsTopic: string;
  summariesTopic: string;
  outputTopicPartitions: number;
}): TopicSpec[] {
  return [
    { topic: config.alertsTopic, numPartitions: config.outputTopicPartitions },
    {
      topic: config.summariesTopic,
      numPartitions: config.outputTopicPartitions,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    },
  ];
}
