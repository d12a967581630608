import { randomBytes } from 'node:crypto';

import type { Kafka } from 'kafkajs';

export interface ReadMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
}

/**
 * Reads every committed message written to `topics` since `sinceMs` (by message timestamp), up to the
 * end offsets at the time of the call. A throwaway consumer group is used and deleted afterwards.
 */
export async function readTopicsSince(
  kafka: Kafka,
  topics: string[],
  sinceMs: number,
  timeoutMs = 60_000,
): Promise<ReadMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `hbm-readback-${randomBytes(6).toString('hex')}`;
  try {
    const pending = new Map<string, { start: number; end: number }>();
    for (const topic of topics) {
      const [starts, ends] = await Promise.all([
        admin.fetchTopicOffsetsByTimestamp(topic, sinceMs),
        admin.fetchTopicOffsets(topic),
      ]);
      for (const { partition, offset } of starts) {
        const end = Number(ends.find((e) => e.partition === partition)?.high ?? 0);
        const start = Number(offset) < 0 ? end : Number(offset);
        if (start < end) pending.set(`${topic}:${partition}`, { start, end });
      }
    }
    if (pending.size === 0) return [];

    const out: ReadMessage[] = [];
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    await consumer.connect();
    try {
      for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
      const done = new Promise<void>((resolve) => {
        // END_BATCH_PROCESS also fires for batches of transaction markers only, which eachBatch never sees
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
          const key = `${payload.topic}:${payload.partition}`;
          const range = pending.get(key);
          if (range && Number(payload.lastOffset) + 1 >= range.end) pending.delete(key);
          if (pending.size === 0) resolve();
        });
        void consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const key = `${batch.topic}:${batch.partition}`;
            const range = pending.get(key);
            if (!range) return;
            for (const m of batch.messages) {
              if (Number(m.offset) >= range.end) break;
              if (Number(m.offset) < range.start) continue;
              out.push({
                topic: batch.topic,
                partition: batch.partition,
                offset: m.offset,
                key: m.key?.toString() ?? null,
                value: m.value?.toString() ?? null,
              });
            }
          },
        });
      });
      for (const [key, { start }] of pending) {
        const sep = key.lastIndexOf(':');
        consumer.seek({
          topic: key.slice(0, sep),
          partition: Number(key.slice(sep + 1)),
          offset: String(start),
        });
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        done,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`reading back ${topics.join(', ')} took over ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]).finally(() => clearTimeout(timer));
    } finally {
      await consumer.disconnect();
    }
    await admin.deleteGroups([groupId]).catch(() => undefined);
    return out;
  } finally {
    await admin.disconnect();
  }
}
