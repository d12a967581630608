import type { Alert, ScanEvent } from '@app/contracts';

import { createTopic, produceLines, randomName, testBrokers } from './kafka';
import { ServiceProcess } from './ledger-process';
import { testRedisUrl } from './redis';
import { TopicTail } from './topic-tail';

/** A ledger consumer and a watch on their own topics and Redis database. */
export class System {
  readonly topics = {
    scans: randomName('scans'),
    alerts: randomName('alerts'),
    summaries: randomName('summaries'),
  };
  readonly redisUrl: string;
  readonly services: ServiceProcess[] = [];
  alerts!: TopicTail;
  summaries!: TopicTail;

  constructor(
    db: number,
    private readonly extra: Record<string, string> = {},
  ) {
    this.redisUrl = `${testRedisUrl()}/${db}`;
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
    await createTopic(testBrokers(), this.topics.scans, 3);
    await createTopic(testBrokers(), this.topics.alerts, 3);
    await createTopic(testBrokers(), this.topics.summaries, 3, { 'cleanup.policy': 'compact' });
    this.alerts = await TopicTail.start(testBrokers(), this.topics.alerts);
    this.summaries = await TopicTail.start(testBrokers(), this.topics.summaries);
    this.services.push(new ServiceProcess('ledger', this.env));
    for (let i = 0; i < watches; i++)
      this.services.push(new ServiceProcess('watch', { ...this.env, WATCH_INSTANCE_ID: `watch-${i}` }));
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
