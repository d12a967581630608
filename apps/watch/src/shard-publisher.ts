import type { Kafka, Producer } from 'kafkajs';

import { exactProducer, readTopicsSince } from '@app/kafka';
import type { OutboxEntry, WatchStore } from '@app/ledger';
import type { JsonLogger, Metrics } from '@app/observability';

/** The revision of a message on the alerts or summaries topic (both carry one), or null. */
function revisionOf(value: string | null): number | null {
  try {
    const revision = (JSON.parse(value ?? '') as { revision?: unknown }).revision;
    return typeof revision === 'number' ? revision : null;
  } catch {
    return null;
  }
}

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
    this.producer = exactProducer(kafka, {
      transactionalId: `${transactionalPrefix}-${shard}`,
      maxRetryTimeMs: 5_000,
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
        (m) => `${m.topic}\n${m.key}\n${revisionOf(m.value)}`,
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
    for (const entry of all) {
      if (entry.kind !== 'invalid') continue;
      // a defect, not input: reported with the record, and trimmed with the rest so it cannot stall the shard
      this.log.error('outbox entry is no valid message; not sent', {
        shard: this.shard,
        key: entry.key,
        problem: entry.problem,
        record: entry.value.slice(0, 2_000),
      });
    }
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
    let sent = 0;
    for (const entry of all) {
      if (entry.kind === 'invalid') continue;
      sent++;
      if (entry.kind === 'summary') {
        this.metrics.summaries.inc();
        continue;
      }
      this.metrics.alerts.inc({ kind: entry.message.kind, status: entry.message.status });
      this.metrics.alertDelaySeconds.observe(Math.max(0, now - entry.conditionAt) / 1000);
    }
    return sent;
  }

  async stop(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }

  private identity(entry: OutboxEntry): string {
    if (entry.kind === 'invalid') return '';
    return `${this.topics[entry.kind]}\n${entry.key}\n${entry.message.revision}`;
  }
}
