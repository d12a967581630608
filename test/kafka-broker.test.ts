/**
 * Pins down the kafkajs 2.2.4 behaviour the ledger consumer relies on, against the Kafka 4.1.1 broker
 * the project runs (Kafka 4 dropped many old protocol versions; kafkajs is unmaintained since 2023).
 */
import { Admin, Consumer, EachBatchPayload, Partitioners } from 'kafkajs';

import {
  consumeAll,
  createTopic,
  produceLines,
  randomName,
  testBrokers,
  testKafka,
  waitFor,
} from './helpers/kafka';

const brokers = testBrokers();

describe('kafkajs 2.2.4 against the pinned Kafka broker', () => {
  let admin: Admin;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    admin = testKafka(brokers).admin();
    await admin.connect();
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.disconnect()));
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  function groupConsumer(groupId: string): Consumer {
    const consumer = testKafka(brokers).consumer({ groupId, maxWaitTimeInMs: 100 });
    consumers.push(consumer);
    return consumer;
  }

  async function committedOffset(groupId: string, topic: string, partition = 0): Promise<string | undefined> {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets?.partitions.find((p) => p.partition === partition)?.offset;
  }

  async function endOffset(topic: string, partition = 0): Promise<string | undefined> {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.find((p) => p.partition === partition)?.high;
  }

  it('an idempotent producer writes every message exactly once, and the end offsets count them', async () => {
    const topic = randomName('idempotent');
    await createTopic(brokers, topic, 3);
    const values = Array.from({ length: 3_000 }, (_, i) => `event-${i}`);

    await produceLines(brokers, topic, values, (_, i) => `item-${i % 97}`);

    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends.reduce((sum, p) => sum + Number(p.high), 0)).toBe(3_000);
    const read = await consumeAll(brokers, topic);
    expect(read).toHaveLength(3_000);
    expect(new Set(read.map((m) => m.value)).size).toBe(3_000);
    const partitionsOfOneKey = new Set(read.filter((m) => m.key === 'item-5').map((m) => m.partition));
    expect(partitionsOfOneKey.size).toBe(1);
  });

  it('headers written by a producer come back from consumeAll, as a dead-letter reader needs', async () => {
    const topic = randomName('headers');
    await createTopic(brokers, topic, 1);
    const producer = testKafka(brokers).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      await producer.send({
        topic,
        messages: [{ key: 'k', value: '{"bad":true}', headers: { reason: 'schema', 'source-offset': '42' } }],
      });
    } finally {
      await producer.disconnect();
    }

    const [message] = await consumeAll(brokers, topic, { expected: 1 });

    expect(message.value).toBe('{"bad":true}');
    expect(message.headers).toEqual({ reason: 'schema', 'source-offset': '42' });
  });

  it('a group consumer that resolves and commits by hand in eachBatch shows its commit in admin fetchOffsets', async () => {
    const topic = randomName('manual-commit');
    const groupId = randomName('group');
    await createTopic(brokers, topic, 1);
    await produceLines(
      brokers,
      topic,
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    );
    const consumer = groupConsumer(groupId);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];

    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
        for (const message of batch.messages) {
          seen.push(message.offset);
          resolveOffset(message.offset);
        }
        const last = batch.messages[batch.messages.length - 1];
        if (last) {
          const next = (BigInt(last.offset) + 1n).toString();
          await consumer.commitOffsets([{ topic, partition: batch.partition, offset: next }]);
        }
        await heartbeat();
      },
    });

    await waitFor(() => seen.length >= 10, { what: '10 messages in the manual-commit consumer' });
    await waitFor(async () => (await committedOffset(groupId, topic)) === '10', {
      what: `committed offset 10 for ${groupId}`,
    });
    expect(seen).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(await endOffset(topic)).toBe('10');
  });

  it('a consumer with nothing committed shows offset -1 in admin fetchOffsets, so lag is the whole partition', async () => {
    const topic = randomName('no-commit');
    await createTopic(brokers, topic, 1);
    await produceLines(brokers, topic, ['a', 'b', 'c']);

    expect(await committedOffset(randomName('idle-group'), topic)).toBe('-1');
    expect(await endOffset(topic)).toBe('3');
  });

  it('a seek issued inside eachBatch makes the next batch start at the sought offset, without committing it', async () => {
    const topic = randomName('seek');
    const groupId = randomName('group');
    await createTopic(brokers, topic, 1);
    await produceLines(
      brokers,
      topic,
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    );
    const consumer = groupConsumer(groupId);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const batchesBeforeSeek: string[][] = [];
    const batchesAfterSeek: string[][] = [];
    let sought = false;

    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
        const offsets = batch.messages.map((m) => m.offset);
        if (sought) {
          batchesAfterSeek.push(offsets);
          offsets.forEach(resolveOffset);
          return;
        }
        batchesBeforeSeek.push(offsets);
        offsets.forEach(resolveOffset);
        const last = offsets[offsets.length - 1];
        if (last === undefined) return;
        await consumer.commitOffsets([
          { topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
        ]);
        if (last === '9') {
          // what the ledger does when Redis lost writes: rewind to the offsets kept with its state
          consumer.seek({ topic, partition: batch.partition, offset: '4' });
          sought = true;
        }
        await heartbeat();
      },
    });

    await waitFor(() => batchesAfterSeek.length > 0, { what: 'a batch after the seek to offset 4' });
    expect(batchesBeforeSeek.flat()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(batchesAfterSeek[0][0]).toBe('4');
    await waitFor(() => batchesAfterSeek.flat().includes('9'), {
      what: 'offsets 4..9 read again after the seek',
    });
    expect(batchesAfterSeek.flat()).toEqual(['4', '5', '6', '7', '8', '9']);
    // with autoCommit off, kafkajs only moves its fetch position: the group's commit stays at 10
    expect(await committedOffset(groupId, topic)).toBe('10');
  });
});
