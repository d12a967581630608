/**
 * `npm run bench:alert-delay -- [--rate 5000] [--seconds 60]`: alert delay under a steady load, alone;
 * `npm run bench` runs the same measurement as its figure (4).
 *
 * Runs the ledger consumer and the watch as child processes on the local Kafka and Redis (started
 * when KAFKA_BROKERS/REDIS_URL are unset, as `npm start` does), on topics of their own, and waits until
 * both are ready. A producer sends
 * background traffic (hand-offs and their receipts over 200 facilities) at --rate events/s; ten times a
 * second it adds a probe: an express hand-off whose 60-minute receipt deadline falls 3 s later, at a
 * facility of its own, and 4 s after that its receipt. Two delays are measured from the alert topic:
 *   fire:    the alert's Kafka timestamp minus its startsAt (the deadline: when the condition became true);
 *   resolve: the RESOLVED revision's Kafka timestamp minus the moment the receipt was sent (end to end:
 *            producer, ledger consumer, watch, transaction commit).
 */
import { Kafka, logLevel, Partitioners } from 'kafkajs';

import { s10CheckDigit } from '@app/contracts';

import { startDevInfra } from '../local/cli';
import { numberOption, parseCommandLine, parseOrExit } from '../local/cli-args';
import { BenchProcess } from './processes';
import { distributionOf, fmt, sleep, type Distribution, type Progress } from './progress';

const USAGE = `npm run bench:alert-delay -- [--rate N] [--seconds N]

Alert delay under a steady load, alone (npm run bench measures it as its figure 4), on the local Kafka
and Redis (started when KAFKA_BROKERS/REDIS_URL are unset): the ledger consumer and the watch as child
processes, background traffic at --rate, ten probes a second; prints the fire and resolve delays.

  --rate N       background events per second (default 5000)
  --seconds N    how long to measure (default 60)
  -h, --help`;

const item = (prefix: string, n: number) => {
  const digits = String(n % 100_000_000).padStart(8, '0');
  return `${prefix}${digits}${s10CheckDigit(digits)}CN`;
};

export interface AlertDelayResult {
  rate: number;
  seconds: number;
  /** events sent per second, as measured */
  sentPerSecond: number;
  probes: number;
  /** deadline passed -> FIRING revision committed on Kafka, ms */
  fire: Distribution;
  /** receipt sent -> RESOLVED revision committed on Kafka, ms */
  resolve: Distribution;
}

export interface AlertDelayOptions {
  brokers: string;
  /** with its database number: the services' whole state goes there */
  redisUrl: string;
  rate: number;
  seconds: number;
  /** how long to wait for the last alerts after the load stops */
  settleSeconds?: number;
  progress?: Pick<Progress, 'line' | 'throttled'>;
  /** how progress lines begin; '(4) alert delay' unless told */
  label?: string;
}

export async function measureAlertDelay(options: AlertDelayOptions): Promise<AlertDelayResult> {
  const { rate, seconds } = options;
  const say = options.progress ?? { line: (t: string) => console.log(t), throttled: () => undefined };
  const label = options.label ?? '(4) alert delay';
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.toUpperCase();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: options.brokers,
    REDIS_URL: options.redisUrl,
    SCAN_TOPIC: `bench-${run}.scans`,
    ALERTS_TOPIC: `bench-${run}.alerts`,
    SUMMARIES_TOPIC: `bench-${run}.summaries`,
    LEDGER_GROUP_ID: `bench-${run}`,
    SCAN_TOPIC_PARTITIONS: '6',
    LEDGER_METRICS_PORT: '0',
    WATCH_METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
  };
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: options.brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: env.SCAN_TOPIC as string, numPartitions: 6 },
      { topic: env.ALERTS_TOPIC as string, numPartitions: 3 },
      {
        topic: env.SUMMARIES_TOPIC as string,
        numPartitions: 3,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ],
  });
  await admin.disconnect();

  // LOG_LEVEL info for the ops line that names the metrics port; warn would hide it
  const services = ['ledger', 'watch'].map(
    (app) => new BenchProcess(app, `apps/${app}/src/main.ts`, { ...env, LOG_LEVEL: 'info' }),
  );
  const receiptSentAt = new Map<string, number>();
  const fire: number[] = [];
  const resolveDelays: number[] = [];
  const consumer = kafka.consumer({ groupId: `bench-${run}-alerts` });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: env.ALERTS_TOPIC as string, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const a = JSON.parse(message.value?.toString() ?? '{}') as {
          kind: string;
          status: string;
          startsAt: string;
          facilityId: string | null;
        };
        if (a.kind !== 'RECEIPT_OVERDUE' || !a.facilityId?.startsWith('PRB')) return;
        const at = Number(message.timestamp);
        if (a.status === 'FIRING') fire.push(at - Date.parse(a.startsAt));
        const sent = receiptSentAt.get(a.facilityId);
        if (a.status === 'RESOLVED' && sent) resolveDelays.push(at - sent);
      },
    });
    await producer.connect();
    await Promise.all(services.map((s) => s.ready()));
    say.line(`${label}: ledger and watch ready; ${seconds} s at ${fmt(rate)} events/s`);
    const started = Date.now();
    let sent = 0;
    let probes = 0;
    const pendingReceipts: { at: number; facility: string; itemId: string }[] = [];
    for (let tick = 0; Date.now() - started < seconds * 1000; tick++) {
      const due = Math.floor(((Date.now() - started) / 1000) * rate) - sent;
      const messages: { key: string; value: string }[] = [];
      for (let i = 0; i < due; i += 2) {
        const n = sent + i;
        const pc = `BG${n % 200}-PC`;
        const ds = `BG${n % 200}-DS`;
        const itemId = item('CP', n);
        const t = new Date(Date.now() - 60_000).toISOString();
        messages.push({
          key: pc,
          value: JSON.stringify({
            eventId: `${run}-h${n}`,
            type: 'HANDOVER',
            itemId,
            facilityId: pc,
            from: pc,
            to: ds,
            occurredAt: t,
          }),
        });
        messages.push({
          key: pc,
          value: JSON.stringify({
            eventId: `${run}-r${n}`,
            type: 'RECEIPT',
            itemId,
            facilityId: ds,
            from: pc,
            to: ds,
            occurredAt: t,
          }),
        });
      }
      const now = Date.now();
      if (tick % 2 === 0) {
        const facility = `PRB${probes}-PC`;
        const itemId = item('EA', probes);
        probes++;
        const occurredAt = new Date(now - 60 * 60_000 + 3_000).toISOString();
        messages.push({
          key: facility,
          value: JSON.stringify({
            eventId: `${run}-p${probes}`,
            type: 'HANDOVER',
            itemId,
            facilityId: facility,
            from: facility,
            to: 'PRB-DS',
            mailClass: 'EXPRESS',
            occurredAt,
          }),
        });
        pendingReceipts.push({ at: now + 7_000, facility, itemId });
      }
      while (pendingReceipts.length > 0 && pendingReceipts[0].at <= now) {
        const { facility, itemId } = pendingReceipts.shift() as { facility: string; itemId: string };
        messages.push({
          key: facility,
          value: JSON.stringify({
            eventId: `${run}-q${facility}`,
            type: 'RECEIPT',
            itemId,
            facilityId: 'PRB-DS',
            from: facility,
            to: 'PRB-DS',
            occurredAt: new Date(now).toISOString(),
          }),
        });
        receiptSentAt.set(facility, now);
      }
      if (messages.length > 0) await producer.send({ topic: env.SCAN_TOPIC as string, messages });
      sent += messages.length;
      say.throttled(`${label}: ${fmt(sent)} events sent, ${fire.length} alerts fired`);
      await sleep(50);
    }
    const elapsed = (Date.now() - started) / 1000;
    const settle = options.settleSeconds ?? 15;
    say.line(
      `${label}: sent ${fmt(sent)} events in ${elapsed.toFixed(1)} s (${fmt(sent / elapsed)} events/s); ` +
        `waiting ${settle} s for the last alerts`,
    );
    await sleep(settle * 1000);
    for (const s of services) {
      if (s.exitStatus) throw new Error(`${s.name} ${s.exitStatus} during the alert-delay run:\n${s.tail()}`);
    }
    return {
      rate,
      seconds,
      sentPerSecond: sent / elapsed,
      probes,
      fire: distributionOf(fire),
      resolve: distributionOf(resolveDelays),
    };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await consumer.disconnect().catch(() => undefined);
    await Promise.all(services.map((s) => s.stop()));
  }
}

async function main(): Promise<void> {
  const { rate, seconds } = parseOrExit({ name: 'bench:alert-delay', usage: USAGE }, () => {
    const { values } = parseCommandLine(process.argv.slice(2), {
      rate: { type: 'string' },
      seconds: { type: 'string' },
    });
    return {
      rate: numberOption(values.rate, 'rate', 5_000),
      seconds: numberOption(values.seconds, 'seconds', 60, { min: 1 }),
    };
  });
  let brokers = process.env.KAFKA_BROKERS;
  let redisUrl = process.env.REDIS_URL;
  if (!brokers || !redisUrl) {
    const infra = await startDevInfra();
    brokers = infra.kafka.brokers;
    redisUrl = infra.redis.url;
  }
  const result = await measureAlertDelay({
    brokers,
    redisUrl,
    rate,
    seconds,
  });
  const line = (name: string, d: Distribution) =>
    console.log(`${name}: n=${d.n} p50=${d.p50} ms p90=${d.p90} ms p99=${d.p99} ms max=${d.max} ms`);
  line(`fire delay (deadline -> alert on Kafka), ${result.probes} probes`, result.fire);
  line('resolve delay (receipt sent -> RESOLVED on Kafka)', result.resolve);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: Error) => {
      console.error(`bench: ${error.stack ?? error.message}`);
      process.exit(1);
    },
  );
}
