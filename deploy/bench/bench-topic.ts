/**
 * The benchmark topic: a seeded postal day from libs/simulation (hand-offs, receipts, feedback, and its
 * faults: double scans, re-sent copies, orphans, bad messages), delivered in a shuffled order, produced
 * once. Each message goes to the partition its key hashes to, chosen here, so that the bench knows which
 * message sits at which offset without reading the topic back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Kafka, logLevel } from 'kafkajs';

import { generatePostalDay, shuffled, type MessageRole } from '@app/simulation';

import { fmt, type Progress } from './progress';

export interface BenchTopic {
  topic: string;
  partitions: number;
  events: number;
  /** message values by partition, in offset order (offset = index) */
  byPartition: string[][];
  /** FACILITIES_FILE for the services: the simulated network's calendar */
  facilitiesFile: string;
  roles: Partial<Record<MessageRole, number>>;
  facilities: number;
}

/** FNV-1a of the key: the same owner facility always lands on the same partition. */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

export async function produceBenchTopic(options: {
  kafka: Kafka;
  topic: string;
  partitions: number;
  events: number;
  seed: number;
  prefix: string;
  network: { centres: number; stationsPerCentre: number; routesPerStation: number };
  workDir: string;
  progress: Progress;
}): Promise<BenchTopic> {
  const { kafka, topic, partitions, progress } = options;
  const now = Date.now();
  const day = generatePostalDay({
    seed: options.seed,
    // a postal day gives about four scans per item
    items: Math.max(10, Math.ceil(options.events / 4)),
    prefix: options.prefix,
    startMs: now - 24 * 3_600_000,
    durationMs: 24 * 3_600_000 - 60_000,
    network: options.network,
  });
  const messages = shuffled(day, options.seed).slice(0, options.events);
  const facilitiesFile = path.join(options.workDir, 'facilities.json');
  fs.writeFileSync(facilitiesFile, JSON.stringify(day.calendar));
  const roles: Partial<Record<MessageRole, number>> = {};
  const byPartition: string[][] = Array.from({ length: partitions }, () => []);
  const keyed: { key: string; value: string; partition: number }[][] = Array.from(
    { length: partitions },
    () => [],
  );
  for (const m of messages) {
    roles[m.role] = (roles[m.role] ?? 0) + 1;
    const p = partitionOf(m.key, partitions);
    byPartition[p].push(m.value);
    keyed[p].push({ key: m.key, value: m.value, partition: p });
  }
  progress.line(
    `generated ${fmt(messages.length)} events over ${day.network.facilityIds.length} facilities; producing to ${topic} (${partitions} partitions)`,
  );

  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    // one request per chunk, every partition's next slice in it: offsets follow the order above
    const chunk = 2_000;
    let sent = 0;
    for (let from = 0; ; from += chunk) {
      const topicMessages = keyed
        .map((list) => list.slice(from, from + chunk))
        .filter((list) => list.length > 0);
      if (topicMessages.length === 0) break;
      await producer.send({ topic, messages: topicMessages.flat() });
      sent += topicMessages.reduce((n, list) => n + list.length, 0);
      progress.throttled(`producing: ${fmt(sent)}/${fmt(messages.length)}`);
    }
  } finally {
    await producer.disconnect();
  }
  progress.line(`produced ${fmt(messages.length)} events`);
  return {
    topic,
    partitions,
    events: messages.length,
    byPartition,
    facilitiesFile,
    roles,
    facilities: day.network.facilityIds.length,
  };
}

export function benchKafka(brokers: string, clientId = 'bench'): Kafka {
  return new Kafka({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}
