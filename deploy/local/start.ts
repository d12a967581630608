/**
 * `npm start`: the main job on one machine. With KAFKA_BROKERS and REDIS_URL unset it starts (or
 * reuses) a local Kafka and Redis under .local/ first; with both set it uses those and starts none.
 * Then it runs the ledger consumer, which creates its topics, and shows its log in a readable form.
 * Ctrl-C stops the consumer (SIGTERM: it finishes its batch and commits) and whatever this started.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { Kafka, logLevel, type Consumer } from 'kafkajs';

import { DefaultTopic } from '@app/contracts';

import { DEV_INFRA, startDevInfra } from './cli';

const root = resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  let stopInfra: (() => Promise<void>) | undefined;
  if (env.KAFKA_BROKERS && env.REDIS_URL) {
    console.log(
      `Using Kafka ${env.KAFKA_BROKERS} and Redis ${env.REDIS_URL.replace(/\/\/[^@]*@/, '//***@')}`,
    );
  } else {
    if (env.KAFKA_BROKERS || env.REDIS_URL) {
      throw new Error(
        'set both KAFKA_BROKERS and REDIS_URL to use your own servers, or neither to run local ones',
      );
    }
    console.log(
      'KAFKA_BROKERS and REDIS_URL are not set: starting a local Kafka and Redis under .local/ ...',
    );
    const infra = await startDevInfra();
    env.KAFKA_BROKERS = infra.kafka.brokers;
    env.REDIS_URL = infra.redis.url;
    console.log(
      `  Kafka ${infra.kafka.version} at ${infra.kafka.brokers} (${infra.kafka.reused ? 'reused' : 'started'}), log ${infra.kafka.logFile}`,
    );
    console.log(
      `  Redis ${infra.redis.version} at ${infra.redis.url} (${infra.redis.reused ? 'reused' : 'started'}), log ${infra.redis.logFile}`,
    );
    stopInfra = async () => {
      if (!infra.kafka.reused) await infra.kafka.stop();
      if (!infra.redis.reused) await infra.redis.stop();
    };
  }

  const logDir = join(DEV_INFRA.stateDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const services = (['ledger', 'watch'] as const).map((app) =>
    spawnService(app, env, join(logDir, `${app}.log`)),
  );
  const alerts = await printAlerts(env.KAFKA_BROKERS as string);

  console.log(`
Ledger consumer and watch starting (JSON logs in ${logDir}); alerts are printed here as they fire.
  Feed it:        npm run produce -- deploy/local/sample-scans.jsonl
  See the ledger: npm run ledger:show -- ZJ-HZ-DS07
  Metrics:        http://localhost:${env.LEDGER_METRICS_PORT || 9464}/metrics (ledger), http://localhost:${env.WATCH_METRICS_PORT || 9465}/metrics (watch); /health/ready on both
  Stop:           Ctrl-C
`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping the services ...');
    for (const service of services) service.child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const codes = await Promise.all(services.map((s) => s.exited));
  await alerts.disconnect().catch(() => undefined);
  if (stopInfra) {
    console.log('stopping the local Kafka and Redis (data kept in .local/) ...');
    await stopInfra();
  }
  process.exit(stopping ? 0 : Math.max(...codes));
}

function spawnService(app: 'ledger' | 'watch', env: NodeJS.ProcessEnv, logFile: string) {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['-r', './deploy/local/register.js', `apps/${app}/src/main.ts`], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.on('data', (chunk: Buffer) => {
    log.write(chunk);
    for (const line of chunk.toString().split('\n').filter(Boolean)) console.log(readable(line));
  });
  const exited = new Promise<number>((done) => child.on('exit', (code) => done(code ?? 1)));
  return { child, exited };
}

/** Prints every alert revision from now on, one line each. */
async function printAlerts(brokers: string): Promise<Consumer> {
  const kafka = new Kafka({ clientId: 'hbm-start', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const topic = process.env.ALERTS_TOPIC ?? DefaultTopic.alerts;
  await waitForTopic(kafka, topic);
  const consumer = kafka.consumer({ groupId: `hbm-start-${process.pid}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ message }) => {
      try {
        const a = JSON.parse(message.value?.toString() ?? '') as Record<string, unknown>;
        const items =
          (a.items as string[]).slice(0, 5).join(' ') + ((a.itemCount as number) > 5 ? ' ...' : '');
        console.log(
          `ALERT ${String(a.status).padEnd(8)} ${String(a.severity).padEnd(8)} ${a.kind} ${a.facilityId} ${a.shiftId} ` +
            `rev ${a.revision}: ${a.text}${items ? ` [${items}]` : ''}`,
        );
      } catch {
        console.log(`ALERT (unreadable) ${message.value?.toString().slice(0, 200)}`);
      }
    },
  });
  return consumer;
}

/** The watch creates the alert topic when it starts; subscribing before that fails. */
async function waitForTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let i = 0; i < 120 && !(await admin.listTopics()).includes(topic); i++) {
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await admin.disconnect();
  }
}

/** One JSON log line as "HH:MM:SS level context: message {fields}". */
function readable(line: string): string {
  try {
    const { time, level, context, msg, ...fields } = JSON.parse(line) as Record<string, unknown>;
    const rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    return `${String(time).slice(11, 19)} ${String(level).padEnd(5)} ${String(context)}: ${String(msg)}${rest}`;
  } catch {
    return line;
  }
}

main().catch((error: Error) => {
  console.error(`npm start: ${error.message}`);
  process.exit(1);
});
