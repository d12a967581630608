/** The notifier (apps/notifier) as a child process on its own topics, group and Redis database. */
import Redis from 'ioredis';
import { Partitioners, type Producer } from 'kafkajs';

import type { Alert, ShiftSummary } from '@app/contracts';
import { SubscriptionStore, type SubscriptionInput } from '@app/subscriptions';

import { createTopic, randomName, testBrokers, testKafka } from './kafka';
import { ServiceProcess, waitWhileRunning } from './ledger-process';
import { redisUrlOf, uniqueRedisDb } from './redis';

/**
 * What lets a notifier (or API) send to this machine's local receivers: loopback allow-listed, robots
 * over plain http on 127.0.0.1. The production default refuses all three.
 */
export const LOCAL_RECEIVERS: Record<string, string> = {
  SUBSCRIPTION_ALLOWED_NETWORKS: '127.0.0.0/8',
  SUBSCRIPTION_ALLOW_HTTP: 'true',
  SUBSCRIPTION_ROBOT_PROXY_HOSTS: '127.0.0.1',
};

/**
 * Notifiers on topics, a group and a Redis database of their own. setUp() takes the database
 * (uniqueRedisDb): db, env, redis and store are there from then on.
 */
export class NotifierRig {
  readonly topics = { alerts: randomName('n-alerts'), summaries: randomName('n-summaries') };
  readonly group = randomName('notifier');
  readonly notifiers: ServiceProcess[] = [];
  private producer?: Producer;
  private own?: { db: number; redis: Redis; store: SubscriptionStore };

  constructor(private readonly extra: Record<string, string> = {}) {}

  private get taken() {
    if (!this.own) throw new Error('the notifier rig has no Redis database before setUp()');
    return this.own;
  }

  get db(): number {
    return this.taken.db;
  }

  get redis(): Redis {
    return this.taken.redis;
  }

  get store(): SubscriptionStore {
    return this.taken.store;
  }

  get env(): Record<string, string> {
    return {
      KAFKA_BROKERS: testBrokers(),
      REDIS_URL: redisUrlOf(this.db),
      ALERTS_TOPIC: this.topics.alerts,
      SUMMARIES_TOPIC: this.topics.summaries,
      NOTIFIER_GROUP_ID: this.group,
      NOTIFIER_METRICS_PORT: '0',
      NOTIFIER_POLL_MS: '100',
      ...LOCAL_RECEIVERS,
      ...this.extra,
    };
  }

  async setUp(): Promise<void> {
    const db = await uniqueRedisDb();
    const redis = new Redis(redisUrlOf(db));
    this.own = { db, redis, store: new SubscriptionStore(redis) };
    await createTopic(testBrokers(), this.topics.alerts, 3);
    await createTopic(testBrokers(), this.topics.summaries, 3, { 'cleanup.policy': 'compact' });
    this.producer = testKafka(testBrokers()).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();
  }

  subscribe(input: SubscriptionInput): Promise<{ id: string }> {
    return this.store.create(input, 'test');
  }

  /** Starts a notifier and waits until it is ready (in its consumer group, sending). */
  async start(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const notifier = new ServiceProcess('notifier', { ...this.env, ...env });
    this.notifiers.push(notifier);
    await waitWhileRunning(notifier, () => this.ready(notifier), {
      what: 'the notifier to be ready',
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    return notifier;
  }

  /** The port its /metrics and /health answer on (it logs it at start). */
  portOf(notifier: ServiceProcess): number | undefined {
    return notifier.metricsPort;
  }

  private async ready(notifier: ServiceProcess): Promise<boolean> {
    const port = this.portOf(notifier);
    if (!port) return false;
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
    return res.status === 200;
  }

  async metrics(notifier: ServiceProcess): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.portOf(notifier)}/metrics`);
    return res.text();
  }

  async sendAlerts(alerts: Alert[]): Promise<void> {
    await this.producer?.send({
      topic: this.topics.alerts,
      acks: -1,
      messages: alerts.map((a) => ({ key: a.alertId, value: JSON.stringify(a) })),
    });
  }

  async sendSummaries(summaries: ShiftSummary[]): Promise<void> {
    await this.producer?.send({
      topic: this.topics.summaries,
      acks: -1,
      messages: summaries.map((s) => ({ key: `${s.facilityId}|${s.shiftId}`, value: JSON.stringify(s) })),
    });
  }

  async tearDown(): Promise<void> {
    for (const n of this.notifiers) n.kill('SIGTERM');
    await Promise.all(this.notifiers.map((n) => n.exited));
    await this.producer?.disconnect();
    this.own?.redis.disconnect();
  }
}

/** A handover_deliveries_total sample from a /metrics text. */
export function deliveriesMetric(text: string, channel: string, result: string): number {
  const re = new RegExp(
    `^handover_deliveries_total\\{channel="${channel}",result="${result}"\\} (\\S+)$`,
    'm',
  );
  return Number(re.exec(text)?.[1] ?? NaN);
}
