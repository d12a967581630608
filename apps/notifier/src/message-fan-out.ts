import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';

import { Alert, ShiftSummary } from '@app/contracts';
import { GroupMembership, groupConsumer } from '@app/kafka';
import { JsonLogger, Metrics } from '@app/observability';
import { Backoff, sleep, ThrottledLog } from '@app/retry';
import { DeliveryQueue, SubscriptionStore, wants, type DeliveryMessage } from '@app/subscriptions';

import type { NotifierConfig } from './notifier.config';
import { KAFKA, NOTIFIER_CONFIG } from './notifier.tokens';

/** How a batch that Redis refused is retried: from 250 ms, doubled, capped at 5 s, with jitter. */
const REQUEUE_BACKOFF = { baseMs: 250, maxMs: 5_000 };

/** A message as published on Kafka, with the broker's timestamp. */
interface Published {
  message: DeliveryMessage;
  atMs: number;
}

/**
 * The notifier's intake. For each batch of alert and summary revisions: parse, find the subscriptions
 * that want each one, enqueue it in their durable queues in Redis (once per revision and subscription,
 * so a Kafka redelivery is harmless), and only then resolve the offsets for Kafka to commit. While
 * Redis refuses, the batch is retried with backoff and nothing is committed.
 */
@Injectable()
export class MessageFanOut implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: JsonLogger;
  private readonly warnings: ThrottledLog;
  private readonly consumer: Consumer;
  /** aborted on shutdown: a batch waiting to retry stops waiting */
  private readonly stopped = new AbortController();
  private readonly membership = new GroupMembership();
  private stopping = false;

  constructor(
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    @Inject(KAFKA) kafka: Kafka,
    private readonly store: SubscriptionStore,
    private readonly queue: DeliveryQueue,
    private readonly metrics: Metrics,
    logger: JsonLogger,
  ) {
    this.log = logger.child('fan-out');
    this.warnings = new ThrottledLog(this.log);
    this.consumer = groupConsumer(kafka, config.groupId, config.sessionTimeoutMs);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { GROUP_JOIN, CRASH } = this.consumer.events;
    this.membership.follow(this.consumer);
    this.consumer.on(GROUP_JOIN, ({ payload }) =>
      this.log.info('partitions assigned', { assignment: payload.memberAssignment }),
    );
    // kafkajs retries and restarts the consumer itself (its retry options above: capped, jittered)
    this.consumer.on(CRASH, ({ payload }) =>
      this.warnings.warn('crash', 'the Kafka consumer crashed', {
        error: payload.error.message,
        restart: payload.restart,
      }),
    );
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [this.config.alertsTopic, this.config.summariesTopic],
      fromBeginning: this.config.fromBeginning,
    });
    await this.consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.log.info('consuming', {
      topics: [this.config.alertsTopic, this.config.summariesTopic],
      group: this.config.groupId,
    });
  }

  /** For the readiness check: in the group, with a fetch or heartbeat lately. */
  isActive(nowMs: number): boolean {
    return this.membership.isActive(nowMs, 30_000);
  }

  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
    commitOffsetsIfNecessary,
  }: EachBatchPayload): Promise<void> {
    const messages = batch.messages.flatMap((m) => this.parse(batch.topic, m));
    const backoff = new Backoff(REQUEUE_BACKOFF);
    for (;;) {
      if (this.stopping || !isRunning() || isStale()) return;
      try {
        await this.fanOut(messages);
        this.warnings.clear('enqueue');
        break;
      } catch (error) {
        const waitMs = backoff.next();
        this.warnings.warn('enqueue', 'could not queue deliveries in Redis; retrying', {
          error: (error as Error).message,
          topic: batch.topic,
          partition: batch.partition,
          attempt: backoff.attempt,
          waitMs,
        });
        await sleep(waitMs, this.stopped.signal);
        await heartbeat().catch(() => undefined);
      }
    }
    resolveOffset(batch.lastOffset());
    await commitOffsetsIfNecessary();
    await heartbeat();
  }

  private parse(topic: string, message: KafkaMessage): Published[] {
    if (message.value === null) return []; // a tombstone on the compacted summaries topic
    let json: unknown;
    try {
      json = JSON.parse(message.value.toString('utf8'));
    } catch {
      this.warnings.warn('not-json', 'skipped a message that is not JSON', { topic, offset: message.offset });
      return [];
    }
    if (topic === this.config.alertsTopic) {
      const alert = Alert.safeParse(json);
      if (alert.success)
        return [{ message: { type: 'alert', alert: alert.data }, atMs: Number(message.timestamp) }];
    } else {
      const summary = ShiftSummary.safeParse(json);
      if (summary.success)
        return [{ message: { type: 'summary', summary: summary.data }, atMs: Number(message.timestamp) }];
    }
    this.warnings.warn('schema', 'skipped a message that does not match its schema', {
      topic,
      offset: message.offset,
    });
    return [];
  }

  /**
   * Every subscription (read afresh: one just created gets what comes next) gets what it wants of what
   * was published after it was created, so that a group reading a topic from its beginning (a first
   * start, or offsets never committed before a crash) sends nobody old news and loses nothing new.
   */
  private async fanOut(published: Published[]): Promise<void> {
    if (published.length === 0) return;
    const now = Date.now();
    for (const sub of await this.store.listWithSecrets()) {
      const since = Date.parse(sub.createdAt);
      const wanted = published.filter((p) => p.atMs >= since && wants(sub, p.message)).map((p) => p.message);
      if (wanted.length === 0) continue;
      // an Alertmanager subscription waits for its next re-send: a change must not wait for it
      const added = await this.queue.enqueue(sub.id, wanted, now, sub.channel === 'alertmanager');
      if (added > 0) this.metrics.deliveriesEnqueued.labels({ channel: sub.channel }).inc(added);
    }
  }

  /** SIGTERM: the batch in hand finishes (or gives up, uncommitted), then the consumer leaves its group. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    await this.consumer.disconnect();
    this.log.info('stopped consuming');
  }
}
