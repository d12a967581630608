import { Partitioners, type Kafka, type Producer } from 'kafkajs';

import { readTopicsSince } from '@app/kafka';
import type { OutboxEntry, WatchStore } from '@app/ledger';
import type { JsonLogger, Metrics } from '@app/observability';

const REVISION = /"revision":(\d+)/;
const KIND_STATUS = /"kind":"(\w+)","status":"(\w+)"/;

/**
 * Moves one shard's outboxes from Redis to Kafka, each round in one Kafka transaction. The producer's
 * transactional id is the shard's, so a new owner of the shard fences a zombie one (its open transaction
 * is aborted), and reading back what the last owner committed but had not yet trimmed keeps every
 * revision on the topics exactly once.
 */
export class ShardPublisher {
  private readonly producer: Producer;

  constructor(
    private readonly kafka: Kafka,
    readonly shard: number,
    transactionalPrefix: string,
    private readonly topics: { alert: string; summary: string },
    private readonly store: WatchStore,
    private readonly metrics: Metrics,
    private readonly log: JsonLogger,
  ) {
    this.producer = kafka.producer({
      transactionalId: `${transactionalPrefix}-${shard}`,
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 5_000 },
    });
  }

  /** Connects (which fences any earlier producer of this shard), then drops from the outboxes what is on Kafka already. */
  async start(facilities: string[], sinceMs: number): Promise<void> {
    await this.producer.connect();
    const pending = new Map<string, OutboxEntry[]>();
    for (const facility of facilities) {
      const entries = await this.store.readOutbox(facility, 10_000);
      if (entries.length > 0) pending.set(facility, entries);
    }
    if (pending.size === 0) return;
    const published = new Set(
      (await readTopicsSince(this.kafka, [this.topics.alert, this.topics.summary], sinceMs)).map(
        (m) => `${m.topic}\n${m.key}\n${REVISION.exec(m.value ?? '')?.[1]}`,
      ),
    );
    let dropped = 0;
    for (const [facility, entries] of pending) {
      let upTo = -1;
      for (const entry of entries) {
        if (!published.has(this.identity(entry))) break;
        upTo = entry.seq;
        dropped++;
      }
      if (upTo >= 0) await this.store.trimOutbox(facility, upTo);
    }
    this.log.info('took over shard', {
      shard: this.shard,
      pendingFacilities: pending.size,
      alreadyPublished: dropped,
    });
  }

  /** Publishes what the facilities' outboxes hold, in one transaction; returns how many messages. */
  async publish(facilities: string[], limitPerFacility = 1_000): Promise<number> {
    const batches: { facility: string; entries: OutboxEntry[] }[] = [];
    for (const facility of facilities) {
      const entries = await this.store.readOutbox(facility, limitPerFacility);
      if (entries.length > 0) batches.push({ facility, entries });
    }
    if (batches.length === 0) return 0;
    const all = batches.flatMap((b) => b.entries);
    const transaction = await this.producer.transaction();
    try {
      for (const kind of ['alert', 'summary'] as const) {
        const messages = all.filter((e) => e.kind === kind).map((e) => ({ key: e.key, value: e.value }));
        if (messages.length > 0) await transaction.send({ topic: this.topics[kind], messages });
      }
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
    const now = Date.now();
    for (const { facility, entries } of batches)
      await this.store.trimOutbox(facility, entries[entries.length - 1].seq);
    for (const entry of all) {
      if (entry.kind === 'summary') {
        this.metrics.summaries.inc();
        continue;
      }
      const [, kind, status] = KIND_STATUS.exec(entry.value) ?? [];
      this.metrics.alerts.inc({ kind, status });
      this.metrics.alertDelaySeconds.observe(Math.max(0, now - entry.conditionAt) / 1000);
    }
    return all.length;
  }

  async stop(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }

  private identity(entry: OutboxEntry): string {
    return `${this.topics[entry.kind]}\n${entry.key}\n${REVISION.exec(entry.value)?.[1]}`;
  }
}
