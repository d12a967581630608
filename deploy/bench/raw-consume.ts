/**
 * (1) How fast kafkajs alone reads the benchmark topic: a consumer in eachBatch mode with the ledger
 * consumer's fetch settings (maxBytesPerPartition, partitions consumed concurrently, no auto-commit)
 * that only counts. It also records each batch's partition and size, in arrival order, so that (2)
 * can drive the ledger's script with the very same batches.
 */
import type { Kafka } from 'kafkajs';

import { fmt, type Progress } from './progress';

export interface RawConsumeResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  batches: { partition: number; size: number }[];
}

export async function measureRawConsume(options: {
  kafka: Kafka;
  topic: string;
  events: number;
  partitionsConsumedConcurrently: number;
  groupId: string;
  progress: Progress;
  timeoutMs: number;
}): Promise<RawConsumeResult> {
  const { kafka, topic, events, progress } = options;
  // the ledger consumer's settings (apps/ledger/src/scan-consumer.ts)
  const consumer = kafka.consumer({ groupId: options.groupId, maxBytesPerPartition: 1_048_576 });
  const batches: { partition: number; size: number }[] = [];
  let count = 0;
  let firstAt = 0;
  let firstSize = 0;
  let lastAt = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
      eachBatch: async ({ batch }) => {
        const size = batch.messages.length;
        if (size === 0) return;
        if (firstAt === 0) {
          firstAt = performance.now();
          firstSize = size;
        }
        batches.push({ partition: batch.partition, size });
        count += size;
        if (count >= events) {
          lastAt = performance.now();
          finish();
        }
        progress.throttled(`(1) raw consume: ${fmt(count)}/${fmt(events)}`);
      },
    });
    const timeout = new Promise<void>((_, reject) =>
      setTimeout(
        () => reject(new Error(`raw consume read ${count} of ${events} events in ${options.timeoutMs} ms`)),
        options.timeoutMs,
      ).unref(),
    );
    await Promise.race([finished, timeout]);
  } finally {
    await consumer.disconnect();
  }
  // the first batch was fetched before the clock started: count what came after it
  const seconds = (lastAt - firstAt) / 1000;
  const eventsPerSecond = seconds > 0 ? (count - firstSize) / seconds : count;
  progress.line(`(1) raw consume: ${fmt(count)} events, ${fmt(eventsPerSecond)} events/s`);
  return { events: count, seconds, eventsPerSecond, batches };
}
