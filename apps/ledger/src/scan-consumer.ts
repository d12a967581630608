import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type KafkaMessage,
  type Producer,
} from 'kafkajs';

import { exactProducer, GroupMembership, groupConsumer } from '@app/kafka';
import { KeptPositions, LedgerRegressedError, LedgerStore, type ScanResult } from '@app/ledger';
import { JsonLogger, Metrics } from '@app/observability';
import type { RedisClient } from '@app/redis';
import { Backoff, sleep, ThrottledLog } from '@app/retry';

import { DeadLetterPublisher, type DeadLetter } from './dead-letters';

import { LEDGER_CONFIG, KAFKA, REDIS } from './ledger.tokens';
import type { LedgerConfig } from './ledger.config';
import { PartitionPositions } from './partition-positions';
import { ScanIntake } from './scan-intake';

/** The batch was given up (rebalance, seek, shutdown, or a rewind): nothing of it is recorded as done. */
class Abandoned extends Error {}

const FLUSH_INTERVAL_MS = 1_000;
/** how every retry of the hot path waits: from 200 ms, doubling, at most 10 s, jittered */
const RETRY = { baseMs: 200, maxMs: 10_000 };
/** the longest sleep between two heartbeats while a batch waits to retry */
const HEARTBEAT_EVERY_MS = 2_000;

/**
 * The ledger's hot path. For each partition batch: start where Redis says the ledger stands, parse,
 * dead-letter bad input, apply to Redis (Lua, atomic per facility, idempotent by offset), then record
 * the offsets; Kafka commits and the position kept in Redis follow from a timer.
 *
 * A kafkajs consumer in a provider rather than a @nestjs/microservices transport: the ledger works
 * on whole batches with manual offsets and seeks, which the per-message Kafka transport does not give.
 */
@Injectable()
export class ScanConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: JsonLogger;
  /** retry loops log a cause at most once per 10 s, with a count */
  private readonly retryLog: ThrottledLog;
  /** failures of apply, dead-letter and the Redis ping, each since its last success */
  private readonly backoff = {
    apply: new Backoff(RETRY),
    'dead-letter': new Backoff(RETRY),
    redis: new Backoff(RETRY),
  };
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly deadLetters: DeadLetterPublisher;
  private readonly positions: PartitionPositions;
  /** for the readiness check: joined, and fetching or heartbeating */
  readonly membership = new GroupMembership();
  private assigned = new Set<string>();
  /** bumped on every rebalance and rewind: a batch begun under an older epoch records nothing */
  private epoch = 0;
  private redisSuspect = false;
  /** the flush timer is rewinding (see tick) */
  private rewinding = false;
  private stopping = false;
  private inFlight = 0;
  private flushTimer?: NodeJS.Timeout;
  private admin?: Admin;
  private progress = { since: Date.now(), scans: 0, deadLetters: 0 };

  constructor(
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly ledger: LedgerStore,
    private readonly intake: ScanIntake,
    private readonly metrics: Metrics,
    logger: JsonLogger,
  ) {
    this.log = logger.child('scan-consumer');
    this.retryLog = new ThrottledLog(this.log);
    this.consumer = groupConsumer(kafka, config.groupId, config.sessionTimeoutMs, {
      maxBytesPerPartition: 1_048_576,
    });
    // an idempotent producer must not give up; onBatch's own loop decides when a batch is abandoned
    this.producer = exactProducer(kafka);
    this.deadLetters = new DeadLetterPublisher(
      this.producer,
      config.rules.scanTopic,
      config.deadLetterTopic,
      kafka,
    );
    this.positions = new PartitionPositions(new KeptPositions(redis, config.groupId), config.checkpointLagMs);
    this.redis.on('close', () => (this.redisSuspect = true));
    this.redis.on('node error', () => (this.redisSuspect = true));
    // Redis Cluster: a node's connection ended; the node may come back without its last writes
    this.redis.on('-node', () => (this.redisSuspect = true));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    this.membership.follow(this.consumer);
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assigned = new Set(
        Object.entries(payload.memberAssignment).flatMap(([topic, parts]) =>
          parts.map((p) => `${topic}:${p}`),
        ),
      );
      this.forget();
      // another member may have dead-lettered on these partitions since: read back before sending more
      this.deadLetters.forget();
      this.log.info('partitions assigned', { partitions: [...this.assigned].sort() });
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) =>
      this.log.error('consumer crashed; kafkajs restarts it', {
        error: payload.error.message,
        restart: payload.restart,
      }),
    );
    await this.consumer.subscribe({ topic: this.config.rules.scanTopic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.config.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.flushTimer = setInterval(() => void this.tick(), FLUSH_INTERVAL_MS);
    this.log.info('consuming', { topic: this.config.rules.scanTopic, group: this.config.groupId });
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    if (this.stopping || !isRunning() || isStale()) return;
    this.inFlight++;
    try {
      if (this.redisSuspect) {
        await this.rewind('the Redis connection was lost', heartbeat);
        return;
      }
      const epoch = this.epoch;

      // 1. Start where the ledger stands, not where Kafka's committed offset says; where Redis keeps no
      //    position (a new Redis, or one that lost everything), from the earliest offset Kafka still has.
      const kept = await this.positions.expectedNext(topic, partition);
      const next = kept ?? (await this.earliestOffset(topic, partition));
      const first = Number(batch.firstOffset());
      if (first !== next && this.positions.seekOnce(topic, partition, next)) {
        this.consumer.seek({ topic, partition, offset: String(next) });
        return;
      }
      if (first > next) {
        // sought there already: the offsets between are gone (retention) or are transaction markers
        this.log.warn('offsets missing on Kafka; going on from the first one there', {
          topic,
          partition,
          from: next,
          to: first,
        });
      }
      const messages = batch.messages.filter((m) => Number(m.offset) >= next);
      if (messages.length === 0) {
        resolveOffset(batch.lastOffset()); // all applied already
        return;
      }

      // 2. Parse.
      const now = Date.now();
      const scans: Parameters<LedgerStore['applyPartition']>[2] = [];
      const parsed: { message: KafkaMessage; type: string }[] = [];
      const rejected: DeadLetter[] = [];
      for (let i = 0; i < messages.length; i++) {
        const message = messages[i];
        const intake = this.intake.read(message.value, Number(message.offset), now);
        if (intake.ok) {
          scans.push(intake); // it has the facilityId and the scan: no copy per event
          parsed.push({ message, type: intake.type });
        } else {
          rejected.push({ message, partition, reason: intake.reason, detail: intake.detail });
        }
      }

      // 3. Apply: atomic per facility, idempotent by offset. What Redis refuses for its input is split
      //    out scan by scan and recorded as refused with the state; the rest is applied.
      const results = await this.untilDone(
        'apply',
        () => this.ledger.applyPartition(topic, partition, scans, now),
        payload,
        epoch,
        // another facility's call of the same batch may have gone through: read the batch again
        async (error, heartbeat) => {
          if (error instanceof LedgerRegressedError) this.redisSuspect = true;
          await this.rewind(error.message, heartbeat);
        },
      );

      // 4. Dead-letter, in offset order, what parsing rejected and what the store refused; each once
      //    (the publisher reads back what a crashed run already wrote). Both are found again from the
      //    same bytes and the state if this batch is read again, so this may follow the apply.
      const refused: DeadLetter[] = [];
      results.forEach((result, i) => {
        if (typeof result === 'object') {
          refused.push({
            message: parsed[i].message,
            partition,
            reason: 'UNPROCESSABLE',
            detail: result.refused,
          });
        }
      });
      const letters = [...rejected, ...refused].sort(
        (a, b) => Number(a.message.offset) - Number(b.message.offset),
      );
      const sent = await this.untilDone(
        'dead-letter',
        () => this.deadLetters.publish(letters, heartbeat),
        payload,
        epoch,
      );

      // 5. Record: kafkajs fetches on from here; the flush timer commits and keeps the position.
      if (epoch !== this.epoch || isStale()) return;
      const lastOffset = messages[messages.length - 1].offset;
      resolveOffset(lastOffset);
      this.positions.applied(topic, partition, Number(lastOffset), Date.now());
      this.count(messages, parsed, results, sent);
      await heartbeat();
    } catch (error) {
      if (error instanceof Abandoned) return;
      throw error;
    } finally {
      this.inFlight--;
    }
  }

  /**
   * Runs `step` until it succeeds, waiting a jittered, capped backoff (with heartbeats) after each
   * failure; gives up when the batch is no longer ours. With `recover`, a failure is not retried in
   * place: after the wait, `recover` runs (the apply rewinds every partition to the positions kept in
   * Redis) and the batch is abandoned, to be read again. Bad input never gets here: the store refuses
   * it scan by scan.
   */
  private async untilDone<T>(
    what: 'apply' | 'dead-letter',
    step: () => Promise<T>,
    { heartbeat, isRunning, isStale }: EachBatchPayload,
    epoch: number,
    recover?: (error: Error, heartbeat: () => Promise<void>) => Promise<void>,
  ): Promise<T> {
    const backoff = this.backoff[what];
    for (;;) {
      if (!isRunning() || isStale() || epoch !== this.epoch) throw new Abandoned();
      try {
        const result = await step();
        backoff.reset();
        this.retryLog.clear(what);
        return result;
      } catch (error) {
        const delayMs = backoff.next();
        this.metrics.retries.inc({ step: what });
        this.retryLog.warn(what, `${what} failed; retrying`, {
          error: (error as Error).message,
          attempt: backoff.attempt,
          delayMs,
        });
        await this.wait(delayMs, heartbeat, () => !isRunning() || isStale() || this.stopping);
        if (recover) {
          await recover(error as Error, heartbeat);
          throw new Abandoned();
        }
      }
    }
  }

  /** Sleeps `ms`, heartbeating every couple of seconds so the group keeps the member; `cut` ends it early. */
  private async wait(ms: number, heartbeat: () => Promise<void>, cut: () => boolean): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && !cut()) {
      await sleep(Math.min(HEARTBEAT_EVERY_MS, until - Date.now()));
      await heartbeat().catch(() => undefined);
    }
  }

  /**
   * Redis may have lost writes (it restarted, or said so): wait until it answers, then send every
   * assigned partition back to the position Redis keeps, which is never ahead of what Redis still has.
   */
  private async rewind(why: string, heartbeat: () => Promise<void>): Promise<void> {
    this.forget();
    this.redisSuspect = false;
    const backoff = this.backoff.redis;
    for (;;) {
      try {
        await this.redis.ping();
        backoff.reset();
        this.retryLog.clear('redis');
        break;
      } catch (error) {
        const delayMs = backoff.next();
        this.retryLog.warn('redis', 'Redis does not answer; waiting', {
          error: (error as Error).message,
          attempt: backoff.attempt,
          delayMs,
        });
        await this.wait(delayMs, heartbeat, () => this.stopping);
        if (this.stopping) throw new Abandoned();
      }
    }
    const assigned = [...this.assigned].map((key) => {
      const sep = key.lastIndexOf(':');
      return { topic: key.slice(0, sep), partition: Number(key.slice(sep + 1)) };
    });
    const kept = await this.positions.keptPositions(assigned);
    for (const { topic, partition } of assigned) {
      const offset = kept.get(`${topic}:${partition}`);
      if (offset !== undefined) this.consumer.seek({ topic, partition, offset: String(offset) });
    }
    this.metrics.rewinds.inc();
    this.retryLog.warn('rewind', 'rewound to the positions kept in Redis', {
      why,
      partitions: Object.fromEntries(kept),
    });
  }

  private async earliestOffset(topic: string, partition: number): Promise<number> {
    this.admin ??= this.kafka.admin();
    await this.admin.connect();
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return Number(offsets.find((o) => o.partition === partition)?.low ?? 0);
  }

  private forget(): void {
    this.epoch++;
    this.positions.forgetAll();
    this.ledger.forgetAcknowledged();
  }

  /**
   * Every second: rewind if Redis went away and no batch has come since to do it (a quiet topic: what
   * Redis lost must not wait for the next scan to be applied again), then keep and commit positions.
   */
  private async tick(): Promise<void> {
    if (this.redisSuspect && this.inFlight === 0 && !this.rewinding && !this.stopping) {
      this.rewinding = true;
      try {
        await this.rewind('the Redis connection was lost', async () => undefined);
      } catch (error) {
        this.redisSuspect = true;
        this.retryLog.warn('rewind-timer', 'could not rewind; retrying', { error: (error as Error).message });
      } finally {
        this.rewinding = false;
      }
    }
    await this.flush(false);
  }

  private async flush(final: boolean): Promise<void> {
    this.reportProgress();
    // Until the rewind, keep no position: offsets Redis acknowledged before it went away may be lost.
    if (this.redisSuspect) return;
    try {
      const commits = await this.positions.flush(Date.now(), final, this.assigned);
      if (commits.length === 0) return;
      await this.consumer.commitOffsets(commits);
      this.positions.committed(commits);
      this.retryLog.clear('positions');
    } catch (error) {
      this.retryLog.warn('positions', 'could not record positions; retrying', {
        error: (error as Error).message,
      });
    }
  }

  /** One info line every 30 s while scans flow, so that an operator sees the consumer at work. */
  private reportProgress(): void {
    const elapsed = Date.now() - this.progress.since;
    if (elapsed < 30_000) return;
    const { scans, deadLetters } = this.progress;
    if (scans + deadLetters > 0) {
      this.log.info('progress', { scans, deadLetters, perSecond: Math.round((scans * 1000) / elapsed) });
    }
    this.progress = { since: Date.now(), scans: 0, deadLetters: 0 };
  }

  private count(
    messages: { timestamp: string }[],
    parsed: { type: string }[],
    results: ScanResult[],
    /** the letters sent by this batch: a replay's letters already on the topic are not counted again */
    letters: DeadLetter[],
  ): void {
    const now = Date.now();
    this.progress.deadLetters += letters.length;
    // Counted here by type and result, then one inc per pair: an inc with labels hashes them each time.
    const events = new Map<string, Map<string, number>>();
    for (let i = 0; i < results.length; i++) {
      const result = results[i];
      if (result === 'skipped' || typeof result === 'object') continue;
      const type = parsed[i].type;
      let byResult = events.get(type);
      if (byResult === undefined) events.set(type, (byResult = new Map()));
      byResult.set(result, (byResult.get(result) ?? 0) + 1);
    }
    for (const [type, byResult] of events) {
      for (const [result, n] of byResult) {
        this.progress.scans += n;
        this.metrics.events.inc({ type, result }, n);
      }
    }
    if (letters.length > 0) {
      const reasons = new Map<string, number>();
      for (const letter of letters) reasons.set(letter.reason, (reasons.get(letter.reason) ?? 0) + 1);
      for (const [reason, n] of reasons) this.metrics.deadLetters.inc({ reason }, n);
      // a message that is dead-lettered may not have a type one can trust
      this.metrics.events.inc({ type: 'unknown', result: 'dead_letter' }, letters.length);
    }
    for (let i = 0; i < messages.length; i++) {
      this.metrics.applySeconds.observe(Math.max(0, now - Number(messages[i].timestamp)) / 1000);
    }
  }

  /** SIGTERM: stop fetching, let the batch in hand finish, keep and commit positions, leave the group. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.flushTimer);
    const assigned = [...this.assigned].map((key) => {
      const sep = key.lastIndexOf(':');
      return { topic: key.slice(0, sep), partitions: [Number(key.slice(sep + 1))] };
    });
    this.consumer.pause(assigned);
    const deadline = Date.now() + 20_000;
    while (this.inFlight > 0 && Date.now() < deadline) await sleep(20);
    await this.flush(true);
    await this.consumer.disconnect();
    await this.producer.disconnect();
    await this.admin?.disconnect();
    this.log.info('stopped', { inFlight: this.inFlight });
  }
}
