/**
 * `npm run bench:alert-delay -- [--rate 5000] [--seconds 60]`: alert delay under a steady load.
 *
 * Runs the ledger consumer and the watch as child processes on the local Kafka and Redis (started
 * when KAFKA_BROKERS/REDIS_URL are unset, as `npm start` does), on topics of their own. A producer sends
 * background traffic (hand-offs and their receipts over 200 facilities) at --rate events/s; ten times a
 * second it adds a probe: an express hand-off whose 60-minute receipt deadline falls 3 s later, at a
 * facility of its own, and 4 s after that its receipt. Two delays are measured from the alert topic:
 *   fire:    the alert's Kafka timestamp minus its startsAt (the deadline: when the condition became true);
 *   resolve: the RESOLVED revision's Kafka timestamp minus the moment the receipt was sent (end to end:
 *            producer, ledger consumer, watch, transaction commit).
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

import { Kafka, logLevel, Partitioners } from 'kafkajs';

import { s10CheckDigit } from '@app/contracts';

import { startDevInfra } from '../local/cli';

const root = resolve(__dirname, '..', '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const item = (prefix: string, n: number) => {
  const digits = String(n % 100_000_000).padStart(8, '0');
  return `${prefix}${digits}${s10CheckDigit(digits)}CN`;
};
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function main(): Promise<void> {
  const rate = arg('rate', 5_000);
  const seconds = arg('seconds', 60);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (!env.KAFKA_BROKERS || !env.REDIS_URL) {
    const infra = await startDevInfra();
    env.KAFKA_BROKERS = infra.kafka.brokers;
    env.REDIS_URL = infra.redis.url;
  }
  const run = Date.now().toString(36).toUpperCase();
  Object.assign(env, {
    SCAN_TOPIC: `bench-${run}.scans`,
    ALERTS_TOPIC: `bench-${run}.alerts`,
    SUMMARIES_TOPIC: `bench-${run}.summaries`,
    LEDGER_GROUP_ID: `bench-${run}`,
    SCAN_TOPIC_PARTITIONS: '6',
    LOG_LEVEL: 'warn',
  });
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: (env.KAFKA_BROKERS as string).split(','),
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

  const services = ['ledger', 'watch'].map((app) =>
    spawn(process.execPath, ['-r', './deploy/local/register.js', join('apps', app, 'src', 'main.ts')], {
      cwd: root,
      env,
      stdio: 'inherit',
    }),
  );

  const receiptSentAt = new Map<string, number>();
  const fire: number[] = [];
  const resolveDelays: number[] = [];
  const consumer = kafka.consumer({ groupId: `bench-${run}-alerts` });
  await consumer.connect();
  await consumer.subscribe({ topic: env.ALERTS_TOPIC as string, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const a = JSON.parse(message.value?.toString() ?? '{}') as {
        kind: string;
        status: string;
        startsAt: string;
        facilityId: string;
      };
      if (a.kind !== 'RECEIPT_OVERDUE' || !a.facilityId.startsWith('PRB')) return;
      const at = Number(message.timestamp);
      if (a.status === 'FIRING') fire.push(at - Date.parse(a.startsAt));
      const sent = receiptSentAt.get(a.facilityId);
      if (a.status === 'RESOLVED' && sent) resolveDelays.push(at - sent);
    },
  });

  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  console.log(`warming up 15 s, then ${seconds} s at ${rate} events/s ...`);
  await new Promise((r) => setTimeout(r, 15_000));
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
    await new Promise((r) => setTimeout(r, 50));
  }
  const elapsed = (Date.now() - started) / 1000;
  console.log(
    `sent ${sent} events in ${elapsed.toFixed(1)} s: ${Math.round(sent / elapsed)} events/s; waiting 15 s for the last alerts ...`,
  );
  await new Promise((r) => setTimeout(r, 15_000));

  const report = (name: string, values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    console.log(
      `${name}: n=${sorted.length} p50=${quantile(sorted, 0.5)} ms p90=${quantile(sorted, 0.9)} ms p99=${quantile(sorted, 0.99)} ms max=${sorted[sorted.length - 1]} ms`,
    );
  };
  report(`fire delay (deadline -> alert on Kafka), ${probes} probes`, fire);
  report('resolve delay (receipt sent -> RESOLVED on Kafka)', resolveDelays);
  await producer.disconnect();
  await consumer.disconnect();
  for (const s of services) s.kill('SIGTERM');
  await Promise.all(services.map((s) => new Promise((r) => s.on('exit', r))));
}

main().catch((error: Error) => {
  console.error(`bench: ${error.stack ?? error.message}`);
  process.exit(1);
});
