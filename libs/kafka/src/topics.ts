import type { Admin } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  configEntries?: { name: string; value: string }[];
}

/** Creates the topics that do not exist yet and waits until each partition has a leader. */
export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) {
    await admin.createTopics({
      topics: missing.map((s) => ({ ...s, replicationFactor: -1 })),
      waitForLeaders: true,
    });
  }
  return missing.map((s) => s.topic);
}
