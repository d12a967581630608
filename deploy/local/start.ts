/**
 * `npm start`: the main job on one machine. With KAFKA_BROKERS and REDIS_URL unset it starts (or
 * reuses) a local Kafka and Redis under .local/ first; with both set it uses those and starts none.
 * Then it runs the ledger consumer, which creates its topics, and shows its log in a readable form.
 * Ctrl-C stops the consumer (SIGTERM: it finishes its batch and commits) and whatever this started.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

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
  const logFile = join(logDir, 'ledger.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const ledger = spawn(process.execPath, ['-r', './deploy/local/register.js', 'apps/ledger/src/main.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  ledger.stdout.on('data', (chunk: Buffer) => {
    log.write(chunk);
    for (const line of chunk.toString().split('\n').filter(Boolean)) console.log(readable(line));
  });

  console.log(`
Ledger consumer starting (JSON log: ${logFile}).
  Feed it:        npm run produce -- deploy/local/sample-scans.jsonl
  See the ledger: npm run ledger:show -- ZJ-HZ-DS07
  Stop:           Ctrl-C
`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping the ledger consumer ...');
    ledger.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const code = await new Promise<number>((done) => ledger.on('exit', (c) => done(c ?? 1)));
  if (stopInfra) {
    console.log('stopping the local Kafka and Redis (data kept in .local/) ...');
    await stopInfra();
  }
  process.exit(stopping ? 0 : code);
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
