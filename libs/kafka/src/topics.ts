import type { Admin } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  configEntries?: { name: string; value: string }[];
}

/**
 * Creates the topics that do not exist yet and waits until each partition has a leader. Several
 * services may start at once on a fresh cluster: one that finds a topic created by another goes on.
 */
export async function ensureTopics(admin: Admin, specs: TopicSpec[], timeoutMs = 60_000): Promise<string[]> {
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
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
      if (topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`topics ${specs.map((s) => s.topic).join(', ')} have no leaders after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return missing.map((s) => s.topic);
}
