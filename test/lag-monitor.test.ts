import { Redis } from 'ioredis';
import { Partitioners, type Consumer, type Producer } from 'kafkajs';

import { Alert } from '@app/contracts';
import { lagAlertId, readLagReport, type GroupLag, type LagReport } from '@app/lag';

import { freePorts } from '../deploy/local/ports';
import { createTopic, randomName, testBrokers, testKafka } from './helpers/kafka';
import { ServiceProcess, waitWhileRunning } from './helpers/ledger-process';
import { uniqueRedisUrl } from './helpers/redis';
import { TopicTail } from './helpers/topic-tail';

const PARTITIONS = 3;
const WINDOW_SAMPLES = 5;
const STOP_MINUTES = 0.5;
const ALERT_MINUTES = 0.1; // 6 s

/** Events produced at a steady rate, one per partition every `everyMs`, with the time each was sent. */
class SteadyProducer {
  /** "<partition>:<offset>" -> the message timestamp (ms) */
  readonly sentAt = new Map<string, number>();
  private running = true;
  private loop?: Promise<void>;
  private constructor(private readonly producer: Producer) {}

  static async start(topic: string, everyMs: number): Promise<SteadyProducer> {
    const producer = testKafka(testBrokers()).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const steady = new SteadyProducer(producer);
    steady.loop = steady.run(topic, everyMs);
    return steady;
  }

  private async run(topic: string, everyMs: number): Promise<void> {
    let next = Date.now();
    while (this.running) {
      const at = Date.now();
      const written = await this.producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: PARTITIONS }, (_, partition) => ({
          partition,
          value: `event at ${at}`,
          timestamp: String(at),
        })),
      });
      for (const w of written) this.sentAt.set(`${w.partition}:${w.baseOffset}`, at);
      next += everyMs;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.producer.disconnect();
  }
}

async function startConsumer(topic: string, groupId: string): Promise<Consumer> {
  const consumer = testKafka(testBrokers()).consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async () => undefined });
  return consumer;
}

const sample = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
};

describe('the lag monitor, run as a process, watching a real consumer group', () => {
  const topic = randomName('lag-events');
  const group = `${topic}-group`;
  const alertsTopic = randomName('lag-alerts');
  let redisUrl: string;
  let redis: Redis;
  let producer: SteadyProducer;
  let consumer: Consumer | undefined;
  let monitor: ServiceProcess;
  let alerts: TopicTail;
  let port: number;
  const env = () => ({
    KAFKA_BROKERS: testBrokers(),
    REDIS_URL: redisUrl,
    LAG_GROUPS: group,
    LAG_INTERVAL_SECONDS: '1',
    LAG_WINDOW_SAMPLES: String(WINDOW_SAMPLES),
    LAG_STOP_MINUTES: String(STOP_MINUTES),
    LAG_ALLOWED_LAG: '1000',
    LAG_ALERT_MINUTES: String(ALERT_MINUTES),
    LAG_LEASE_SECONDS: '3',
    LAG_METRICS_PORT: String(port),
    ALERTS_TOPIC: alertsTopic,
  });
  const groupOf = (report: LagReport | null): GroupLag | undefined =>
    report?.groups.find((g) => g.group === group);
  /** the first stored report that satisfies `predicate` */
  const reportWhere = async (
    what: string,
    predicate: (g: GroupLag, r: LagReport) => boolean,
    timeoutMs = 60_000,
  ): Promise<{ report: LagReport; group: GroupLag }> => {
    const found = await waitWhileRunning(
      monitor,
      async () => {
        const report = await readLagReport(redis);
        const g = groupOf(report);
        return report && g && predicate(g, report) ? { report, group: g } : null;
      },
      { what, timeoutMs, intervalMs: 200 },
    );
    return found as { report: LagReport; group: GroupLag };
  };
  const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

  beforeAll(async () => {
    [port] = await freePorts(1);
    redisUrl = await uniqueRedisUrl();
    redis = new Redis(redisUrl);
    await createTopic(testBrokers(), topic, PARTITIONS);
    await createTopic(testBrokers(), alertsTopic, 3);
    alerts = await TopicTail.start(testBrokers(), alertsTopic);
    producer = await SteadyProducer.start(topic, 30); // 100 events per second
    consumer = await startConsumer(topic, group);
    monitor = new ServiceProcess('lag-monitor', env());
  });
  afterAll(async () => {
    monitor?.kill('SIGTERM');
    await monitor?.exited;
    await consumer?.disconnect();
    await producer?.stop();
    await alerts?.stop();
    redis?.disconnect();
  });

  let stoppedAt = 0;
  let firing: Alert | undefined;

  it('reports a group that keeps up as OK, with its live member and every partition', async () => {
    const { group: g } = await reportWhere('the group to be OK with one member over a full window', (g) => {
      return g.status === 'OK' && g.members === 1 && g.partitions.length === PARTITIONS;
    });
    // the window fills up while the group keeps up
    await new Promise((resolve) => setTimeout(resolve, (WINDOW_SAMPLES + 1) * 1000));
    const { group: later } = await reportWhere('the group to stay OK', (x) => x.members === 1);
    expect(later.status).toBe('OK');
    expect(later.partitions.map((p) => p.status)).toEqual(['OK', 'OK', 'OK']);
    expect(g.partitions.every((p) => p.committed !== null && p.endOffset > 0)).toBe(true);
  });

  it('reports STOP at the first sample after the consumer left while events keep coming', async () => {
    await consumer?.disconnect();
    consumer = undefined;
    stoppedAt = Date.now();
    // the first report sampled with nobody in the group: no window to wait for, nobody will consume
    const { group: g } = await reportWhere(
      'a report sampled after the consumer left, with no member',
      (x, r) => Date.parse(r.sampledAt) > stoppedAt && x.members === 0,
    );
    const tookMs = Date.now() - stoppedAt;
    console.log(`lag monitor: ${g.status} ${tookMs} ms after the consumer stopped`);
    expect(g.lag).toBeGreaterThan(0);
    expect(g.status).toBe('STOP');
    expect(g.partitions.filter((p) => p.lag > 0).map((p) => p.status)).toEqual(
      g.partitions.filter((p) => p.lag > 0).map(() => 'STOP'),
    );
    // well before LAG_STOP_MINUTES, the time a group with members would need to be STOP
    expect(tookMs).toBeLessThan(STOP_MINUTES * 60_000);
  });

  it('measures the lag in seconds within 20% of the true age of the oldest unconsumed event', async () => {
    const { report, group: g } = await reportWhere('a lag of 12 s or more', (x) => x.lagSeconds >= 12);
    const sampledAt = Date.parse(report.sampledAt);
    const errors = g.partitions.map((p) => {
      const sentAt = producer.sentAt.get(`${p.partition}:${p.committed}`);
      expect(sentAt).toBeDefined();
      const trueAge = (sampledAt - (sentAt as number)) / 1000;
      return {
        partition: p.partition,
        lagSeconds: p.lagSeconds,
        trueAge,
        error: (p.lagSeconds - trueAge) / trueAge,
      };
    });
    console.log(`lag monitor: lag seconds against true age ${JSON.stringify(errors)}`);
    for (const e of errors) expect(Math.abs(e.error)).toBeLessThan(0.2);
    expect(g.lagSeconds).toBe(Math.max(...g.partitions.map((p) => p.lagSeconds)));
    expect(g.lag).toBe(g.partitions.reduce((sum, p) => sum + p.lag, 0));
  });

  it('raises a CONSUMER_LAG alert once the group has not been OK for LAG_ALERT_MINUTES', async () => {
    const id = lagAlertId(group);
    await alerts.waitFor<Alert>('a FIRING CONSUMER_LAG alert', (values) =>
      values.some((a) => a.alertId === id && a.status === 'FIRING'),
    );
    firing = alerts
      .values<Alert>()
      .map((a) => Alert.parse(a))
      .find((a) => a.alertId === id && a.status === 'FIRING');
    expect(firing).toMatchObject({
      kind: 'CONSUMER_LAG',
      severity: 'warning',
      facilityId: null,
      shiftId: null,
      from: null,
      to: null,
      itemCount: 0,
      items: [],
      endsAt: null,
    });
    expect(firing?.text).toContain(group);
    expect(firing?.text).toMatch(/is (STALL|STOP): lag \d+ messages, \d+ s behind/);
    expect(alerts.messages.find((m) => m.value.includes(id))?.key).toBe(id);
    const text = await metrics();
    expect(sample(text, 'handover_alerts_total{kind="CONSUMER_LAG",status="FIRING"}')).toBeGreaterThanOrEqual(
      1,
    );
    expect(
      sample(text, `kafka_consumergroup_lag{group="${group}",topic="${topic}",partition="0"}`),
    ).toBeGreaterThan(0);
    expect(
      sample(text, `kafka_consumergroup_lag_seconds{group="${group}",topic="${topic}",partition="0"}`),
    ).toBeGreaterThan(0);
  });

  it('keeps its statuses across its own restart: no blind period', async () => {
    monitor.kill('SIGTERM');
    expect((await monitor.exited).code).toBe(0);
    const restartedAt = Date.now();
    monitor = new ServiceProcess('lag-monitor', env());
    // the first status it exports is the stored one, not a fresh OK
    const statusSeries = `kafka_consumergroup_status{group="${group}",status="OK"}`;
    const first = await waitWhileRunning(
      monitor,
      async () => {
        const text = await metrics().catch(() => '');
        return Number.isNaN(sample(text, statusSeries)) ? '' : text;
      },
      { what: "the restarted monitor's /metrics", timeoutMs: 60_000, intervalMs: 50 },
    );
    expect(sample(first, statusSeries)).toBe(0);
    // its first sample goes on with the stored window, which a fresh monitor would not have
    const { group: g } = await reportWhere('a report sampled after the restart', (_, r) => {
      return Date.parse(r.sampledAt) > restartedAt;
    });
    expect(['STALL', 'STOP']).toContain(g.status);
    const text = await metrics();
    expect(sample(text, `kafka_consumergroup_status{group="${group}",status="OK"}`)).toBe(0);
    expect(sample(text, `kafka_consumergroup_status{group="${group}",status="${g.status}"}`)).toBe(1);
  });

  it('is back to OK once the consumer resumes, and resolves the alert', async () => {
    consumer = await startConsumer(topic, group);
    const { group: g } = await reportWhere('the group to be OK again', (x) => x.status === 'OK', 90_000);
    expect(g.members).toBe(1);
    const id = lagAlertId(group);
    await alerts.waitFor<Alert>('a RESOLVED CONSUMER_LAG alert', (values) =>
      values.some((a) => a.alertId === id && a.status === 'RESOLVED'),
    );
    const revisions = alerts.values<Alert>().filter((a) => a.alertId === id);
    const resolved = revisions.find((a) => a.status === 'RESOLVED') as Alert;
    expect(resolved.revision).toBeGreaterThan(firing?.revision ?? 0);
    expect(resolved.endsAt).not.toBeNull();
    expect(resolved.startsAt).toBe(firing?.startsAt);
    // one message per revision, no revision skipped
    expect(revisions.map((a) => a.revision)).toEqual(revisions.map((_, i) => i + 1));
    expect(sample(await metrics(), 'handover_alerts_total{kind="CONSUMER_LAG",status="RESOLVED"}')).toBe(1);
  });
});

describe('two lag monitors on one Redis', () => {
  const topic = randomName('lag-standby');
  const group = `${topic}-group`;
  let redis: Redis;
  let consumer: Consumer;
  const monitors: ServiceProcess[] = [];
  let ports: number[];

  beforeAll(async () => {
    ports = await freePorts(2);
    const redisUrl = await uniqueRedisUrl();
    redis = new Redis(redisUrl);
    await createTopic(testBrokers(), topic, 1);
    consumer = await startConsumer(topic, group);
    for (const [i, port] of ports.entries()) {
      monitors.push(
        new ServiceProcess('lag-monitor', {
          KAFKA_BROKERS: testBrokers(),
          REDIS_URL: redisUrl,
          LAG_GROUPS: group,
          LAG_INTERVAL_SECONDS: '1',
          LAG_LEASE_SECONDS: '3',
          LAG_METRICS_PORT: String(port),
          LAG_INSTANCE_ID: `monitor-${i}`,
          ALERTS_TOPIC: randomName('lag-standby-alerts'),
        }),
      );
    }
  });
  afterAll(async () => {
    for (const m of monitors) m.kill('SIGTERM');
    await Promise.all(monitors.map((m) => m.exited));
    await consumer.disconnect();
    redis.disconnect();
  });

  const activeOnes = () => monitors.filter((m) => m.output.some((l) => l.includes('active lag monitor')));

  it('lets one sample while the other stands by, and hands over when the active one stops', async () => {
    await waitWhileRunning(monitors, async () => groupOf(await readLagReport(redis), group), {
      what: `a report of ${group}`,
      timeoutMs: 60_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(activeOnes()).toHaveLength(1);
    const [active] = activeOnes();
    const standby = monitors.find((m) => m !== active) as ServiceProcess;
    const standbyPort = ports[monitors.indexOf(standby)];
    const standbyMetrics = await (await fetch(`http://127.0.0.1:${standbyPort}/metrics`)).text();
    expect(standbyMetrics).not.toContain(`kafka_consumergroup_status{group="${group}"`);

    active.kill('SIGTERM');
    expect((await active.exited).code).toBe(0);
    const stoppedAt = Date.now();
    await waitWhileRunning(
      standby,
      async () => {
        const report = await readLagReport(redis);
        return report && Date.parse(report.sampledAt) > stoppedAt && groupOf(report, group);
      },
      { what: 'the standby to take over', timeoutMs: 30_000 },
    );
    expect(standby.output.some((l) => l.includes('active lag monitor'))).toBe(true);
  });
});

function groupOf(report: LagReport | null, group: string): GroupLag | undefined {
  return report?.groups.find((g) => g.group === group);
}
