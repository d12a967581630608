import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';

import { Alert, ShiftSummary } from '@app/contracts';
import { GroupMembership, groupConsumer } from '@app/kafka';
import { JsonLogger, Metrics } from '@app/observability';
import { Backoff, sleep, ThrottledLog } from '@app/retry';

import type { ApiConfig } from '../api.config';
import { API_CONFIG, KAFKA } from '../api.tokens';
import { ViewWriter } from '../store/view-writer';

/**
 * Feeds the API's views from Kafka: each partition batch of the alerts or the summaries topic is
 * parsed, written to Redis in one idempotent script call, and only then committed. A batch that
 * fails is not committed and is read again; the scripts ignore revisions they hold already.
 */
@Injectable()
export class ViewConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: JsonLogger;
  private readonly consumer: Consumer;
  readonly membership = new GroupMembership();
  private readonly warn: ThrottledLog;
  private readonly stopped = new AbortController();
  private stopping = false;

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(KAFKA) kafka: Kafka,
    private readonly writer: ViewWriter,
    private readonly metrics: Metrics,
    logger: JsonLogger,
  ) {
    this.log = logger.child('view-consumer');
    this.warn = new ThrottledLog(this.log);
    this.consumer = groupConsumer(kafka, config.groupId, config.sessionTimeoutMs, {
      maxWaitTimeInMs: 250,
      // alerts are committed by the watch in Kafka transactions: read only what was committed
      readUncommitted: false,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.connect();
    this.membership.follow(this.consumer);
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) =>
      this.log.error('view consumer crashed; kafkajs restarts it', {
        error: payload.error.message,
        restart: payload.restart,
      }),
    );
    await this.consumer.subscribe({
      topics: [this.config.alertsTopic, this.config.summariesTopic],
      fromBeginning: true,
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 2,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.log.info('consuming', {
      topics: [this.config.alertsTopic, this.config.summariesTopic],
      group: this.config.groupId,
    });
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload) {
    if (this.stopping || !isRunning() || isStale() || batch.messages.length === 0) return;
    const isAlerts = batch.topic === this.config.alertsTopic;
    const view = isAlerts ? 'alerts' : 'summaries';
    const alerts: { alert: Alert; json: string }[] = [];
    const summaries: { summary: ShiftSummary; json: string }[] = [];
    let invalid = 0;
    for (const message of batch.messages) {
      const json = message.value?.toString('utf8') ?? '';
      let raw: unknown;
      try {
        raw = JSON.parse(json);
      } catch {
        raw = undefined;
      }
      const parsed = isAlerts ? Alert.safeParse(raw) : ShiftSummary.safeParse(raw);
      if (!parsed.success) {
        invalid++;
        this.warn.warn(`invalid-${view}`, 'ignored a message that is not a valid revision', {
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
        });
        continue;
      }
      if (isAlerts) alerts.push({ alert: parsed.data as Alert, json });
      else summaries.push({ summary: parsed.data as ShiftSummary, json });
    }
    const backoff = new Backoff({ baseMs: 200, maxMs: 5_000 });
    for (;;) {
      if (this.stopping || !isRunning() || isStale()) return;
      try {
        const { applied, stale } = isAlerts
          ? await this.writer.writeAlerts(alerts, Date.now())
          : await this.writer.writeSummaries(summaries);
        this.metrics.viewMessages.inc({ view, result: 'applied' }, applied);
        this.metrics.viewMessages.inc({ view, result: 'stale' }, stale);
        this.metrics.viewMessages.inc({ view, result: 'invalid' }, invalid);
        this.warn.clear(`write-${view}`);
        break;
      } catch (error) {
        // not committed: the batch is written again (the scripts skip what they hold already)
        const delayMs = backoff.next();
        this.warn.warn(`write-${view}`, 'could not write the view; retrying', {
          view,
          error: (error as Error).message,
          delayMs,
        });
        await sleep(delayMs, this.stopped.signal);
        await heartbeat();
      }
    }
    const last = batch.messages[batch.messages.length - 1].offset;
    resolveOffset(last);
    await this.consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: String(Number(last) + 1) },
    ]);
    await heartbeat();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    await this.consumer.disconnect().catch(() => undefined);
  }
}
