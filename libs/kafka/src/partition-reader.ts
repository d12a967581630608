import { randomBytes } from 'node:crypto';

import type { IHeaders, Kafka, KafkaMessage } from 'kafkajs';

/** One message as read back, with its headers as strings. */
export interface ReadBackMessage {
  offset: number;
  headers: Record<string, string>;
}

/**
 * Reads the messages at offsets [start, end) of one partition. A throwaway consumer group (deleted
 * afterwards) that starts every other partition at its end, so nothing else is fetched.
 */
export async function readPartitionRange(
  kafka: Kafka,
  topic: string,
  partition: number,
  start: number,
  end: number,
  timeoutMs = 60_000,
): Promise<ReadBackMessage[]> {
  if (start >= end) return [];
  const groupId = `hbm-readback-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 100 });
  const out: ReadBackMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: false });
    const done = new Promise<void>((resolve) => {
      // END_BATCH_PROCESS also fires for batches of transaction markers only, which eachBatch never sees
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.partition === partition && Number(payload.lastOffset) + 1 >= end) resolve();
      });
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (batch.partition !== partition) return;
          for (const m of batch.messages) {
            const offset = Number(m.offset);
            if (offset >= end) break;
            if (offset >= start) out.push({ offset, headers: headersOf(m) });
          }
        },
      });
    });
    consumer.seek({ topic, partition, offset: String(start) });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      done,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(`reading back ${topic}:${partition} [${start}, ${end}) took over ${timeoutMs} ms`),
            ),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    await consumer.disconnect();
  }
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  return out;
}

/**
 * The last message of a partition that `matches`, searched back from the end in growing windows (the
 * newest messages first), or undefined when none does. `between` runs between windows (a consumer's
 * heartbeat, say).
 */
export async function findLastMessage(
  kafka: Kafka,
  topic: string,
  partition: number,
  matches: (message: ReadBackMessage) => boolean,
  between: () => Promise<void> = async () => undefined,
): Promise<ReadBackMessage | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  let low: number;
  let end: number;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const at = offsets.find((o) => o.partition === partition);
    low = Number(at?.low ?? 0);
    end = Number(at?.high ?? 0);
  } finally {
    await admin.disconnect();
  }
  for (let window = 500; end > low; window *= 4) {
    const start = Math.max(low, end - window);
    const found = (await readPartitionRange(kafka, topic, partition, start, end)).filter(matches);
    if (found.length > 0) return found[found.length - 1];
    end = start;
    await between();
  }
  return undefined;
}

function headersOf(message: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? ({} as IHeaders))) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}
