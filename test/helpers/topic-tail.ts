import type { Consumer } from 'kafkajs';

import { randomName, testKafka, waitFor } from './kafka';

export interface TailMessage {
  key: string | null;
  value: string;
  partition: number;
  offset: string;
}

/** Everything committed to a topic from its beginning, collected while a test runs (read_committed). */
export class TopicTail {
  readonly messages: TailMessage[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(brokers: string, topic: string): Promise<TopicTail> {
    const consumer = testKafka(brokers).consumer({ groupId: randomName('tail'), readUncommitted: false });
    const tail = new TopicTail(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        tail.messages.push({
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? '',
          partition,
          offset: message.offset,
        });
      },
    });
    return tail;
  }

  /** The parsed values, in arrival order. */
  values<T>(): T[] {
    return this.messages.map((m) => JSON.parse(m.value) as T);
  }

  async waitFor<T>(what: string, predicate: (values: T[]) => boolean, timeoutMs = 30_000): Promise<T[]> {
    await waitFor(() => predicate(this.values<T>()), { what, timeoutMs, intervalMs: 100 });
    return this.values<T>();
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
