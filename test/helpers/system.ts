import type { Alert, ScanEvent } from '@app/contracts';

import { createTopic, produceLines, randomName, testBrokers } from './kafka';
import { ServiceProcess, waitUntilReady } from './ledger-process';
import { redisUrlOf, uniqueRedisDb } from './redis';
import { TopicTail } from './topic-tail';

/**
 * A ledger consumer and a watch on their own topics and Redis database. The database is handed out
 * (uniqueRedisDb) by start(), or by takeDatabase() for a test that needs it before: redisUrl and env
 * are there from then on.
 */
export class System {
  readonly topics = {
    scans: randomName('scans'),
    alerts: randomName('alerts'),
    summaries: randomName('summaries'),
  };
  readonly services: ServiceProcess[] = [];
  alerts!: TopicTail;
  summaries!: TopicTail;
  private db?: number;
  /** how many of services start() started (tests add their own after them) */
  private started = 0;

  constructor(private readonly extra: Record<string, string> = {}) {}

  /** Its Redis database, taken now if start() has not taken it yet. */
  async takeDatabase(): Promise<number> {
    this.db ??= await uniqueRedisDb();
    return this.db;
  }

  get redisDb(): number {
    if (this.db === undefined)
      throw new Error('the system has no Redis database before start() or takeDatabase()');
    return this.db;
  }

  get redisUrl(): string {
    return redisUrlOf(this.redisDb);
  }

  get env(): Record<string, string> {
    return {
      KAFKA_BROKERS: testBrokers(),
      REDIS_URL: this.redisUrl,
      SCAN_TOPIC: this.topics.scans,
      ALERTS_TOPIC: this.topics.alerts,
      SUMMARIES_TOPIC: this.topics.summaries,
      LEDGER_GROUP_ID: `${this.topics.scans}-ledger`,
      ORPHAN_WAIT_MINUTES: '0',
      SUMMARY_COALESCE_SECONDS: '1',
      WATCH_TICK_MS: '200',
      WATCH_LEASE_SECONDS: '3',
      ...this.extra,
    };
  }

  async start(watches = 1): Promise<void> {
    await this.takeDatabase();
    await createTopic(testBrokers(), this.topics.scans, 3);
    await createTopic(testBrokers(), this.topics.alerts, 3);
    await createTopic(testBrokers(), this.topics.summaries, 3, { 'cleanup.policy': 'compact' });
    this.alerts = await TopicTail.start(testBrokers(), this.topics.alerts);
    this.summaries = await TopicTail.start(testBrokers(), this.topics.summaries);
    this.services.push(new ServiceProcess('ledger', this.env));
    for (let i = 0; i < watches; i++)
      this.services.push(new ServiceProcess('watch', { ...this.env, WATCH_INSTANCE_ID: `watch-${i}` }));
    this.started = this.services.length;
  }

  /**
   * Waits until the ledger and the watches of start() answer 200 on /health/ready (in their group, a
   * watch round done); fails as soon as one exits.
   */
  async ready(timeoutMs = 90_000): Promise<void> {
    const own = this.services.slice(0, this.started);
    await Promise.all(own.map((service) => waitUntilReady(service, undefined, timeoutMs)));
  }

  /** Sends raw message values with their keys, in order. */
  sendRaw(messages: { key: string; value: string }[]): Promise<number> {
    return produceLines(
      testBrokers(),
      this.topics.scans,
      messages.map((m) => m.value),
      (_, i) => messages[i].key,
    );
  }

  send(events: ScanEvent[]): Promise<number> {
    return produceLines(
      testBrokers(),
      this.topics.scans,
      events.map((e) => JSON.stringify(e)),
      (_, i) => {
        const e = events[i];
        return (e.type === 'FEEDBACK' ? e.route : e.from).split('/')[0];
      },
    );
  }

  alertOf(values: Alert[], kind: string, facilityId: string, status?: string): Alert | undefined {
    return [...values]
      .reverse()
      .find((a) => a.kind === kind && a.facilityId === facilityId && (!status || a.status === status));
  }

  async stop(): Promise<void> {
    for (const s of this.services) s.kill('SIGTERM');
    await Promise.all(this.services.map((s) => s.exited));
    await this.alerts?.stop();
    await this.summaries?.stop();
  }
}
