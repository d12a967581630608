/**
 * `npm run infra -- start|stop|status`: the developer's Kafka (127.0.0.1:9092, controller 9093) and
 * Redis (127.0.0.1:6380, so it never meets a system Redis on 6379), with all state under <repo>/.local/.
 * `start` is idempotent: servers already running from .local are reused. Exit code 0 ok, 1 error.
 *
 * Importable too: `startDevInfra()` is what `npm start` can call to get the same servers.
 */
import * as path from 'path';

import { parseCommandLine, parseOrExit, UsageError } from './cli-args';
import { kafkaAnswers, kafkaPid, KAFKA_VERSION, LocalKafka, startKafka, stopKafka } from './local-kafka';
import { LocalRedis, redisAnswers, redisPid, startRedis, stopRedis } from './local-redis';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

const COMMANDS = ['start', 'stop', 'status'] as const;
type Command = (typeof COMMANDS)[number];

const USAGE = `npm run infra -- start|stop|status

The developer's Kafka (127.0.0.1:9092, controller 9093) and Redis (127.0.0.1:6380), state under .local/.
  start     start them, or reuse those already running from .local
  stop      stop them (data kept in .local/)
  status    whether each runs and answers
  -h, --help`;

function parseInfraArgs(argv: readonly string[]): Command {
  const { positionals } = parseCommandLine(argv, {}, { allowPositionals: true });
  const [command, ...extra] = positionals;
  if (!COMMANDS.includes(command as Command))
    throw new UsageError(`the command is start, stop or status (got ${command ?? 'nothing'})`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra.join(' ')} after ${command}`);
  return command as Command;
}

export const DEV_INFRA = {
  stateDir: path.join(REPO_ROOT, '.local'),
  kafka: { port: 9092, controllerPort: 9093, dataDir: path.join(REPO_ROOT, '.local', 'kafka') },
  redis: { port: 6380, dataDir: path.join(REPO_ROOT, '.local', 'redis') },
} as const;

export interface DevInfra {
  kafka: LocalKafka;
  redis: LocalRedis;
}

/** Starts (or reuses) the developer's Kafka and Redis; if one fails, stops what this call started. */
export async function startDevInfra(): Promise<DevInfra> {
  const [kafka, redis] = await Promise.allSettled([startKafka(DEV_INFRA.kafka), startRedis(DEV_INFRA.redis)]);
  if (kafka.status === 'fulfilled' && redis.status === 'fulfilled')
    return { kafka: kafka.value, redis: redis.value };
  if (kafka.status === 'fulfilled' && !kafka.value.reused) await kafka.value.stop();
  if (redis.status === 'fulfilled' && !redis.value.reused) await redis.value.stop();
  const reasons = [kafka, redis].flatMap((r) =>
    r.status === 'rejected' ? [(r.reason as Error).message] : [],
  );
  throw new Error(reasons.join('\n\n'));
}

export async function stopDevInfra(): Promise<void> {
  await Promise.all([stopKafka(DEV_INFRA.kafka.dataDir), stopRedis(DEV_INFRA.redis.dataDir)]);
}

const rel = (file: string) => path.relative(process.cwd(), file) || '.';

function printStarted({ kafka, redis }: DevInfra): void {
  const how = (reused: boolean) => (reused ? 'already running, reused' : 'started');
  console.log(`Kafka ${kafka.version}  ${how(kafka.reused)}, pid ${kafka.pid}`);
  console.log(`  brokers     ${kafka.brokers}  (controller 127.0.0.1:${kafka.controllerPort})`);
  console.log(`  log         ${rel(kafka.logFile)}`);
  console.log(`  data        ${rel(kafka.dataDir)}`);
  console.log(`Redis ${redis.version}  ${how(redis.reused)}, pid ${redis.pid}`);
  console.log(`  url         ${redis.url}  (append-only file, appendfsync everysec)`);
  console.log(`  log         ${rel(redis.logFile)}`);
  console.log(`  data        ${rel(redis.dataDir)}`);
  console.log(`\nexport KAFKA_BROKERS=${kafka.brokers} REDIS_URL=${redis.url}`);
}

async function status(): Promise<void> {
  const { kafka, redis } = DEV_INFRA;
  const brokers = `127.0.0.1:${kafka.port}`;
  const url = `redis://127.0.0.1:${redis.port}`;

  const kPid = kafkaPid(kafka.dataDir);
  const kState =
    kPid === undefined
      ? 'stopped'
      : (await kafkaAnswers(brokers))
        ? `running, pid ${kPid}`
        : `pid ${kPid}, NOT answering`;
  console.log(`Kafka ${KAFKA_VERSION}  ${kState}`);
  console.log(`  brokers     ${brokers}  (controller 127.0.0.1:${kafka.controllerPort})`);
  console.log(`  log         ${rel(path.join(kafka.dataDir, 'kafka.log'))}`);

  const rPid = redisPid(redis.dataDir);
  const version = rPid === undefined ? undefined : await redisAnswers(url);
  const rState =
    rPid === undefined ? 'stopped' : version ? `running, pid ${rPid}` : `pid ${rPid}, NOT answering`;
  console.log(`Redis ${version ?? ''}${version ? '  ' : ''}${rState}`);
  console.log(`  url         ${url}`);
  console.log(`  log         ${rel(path.join(redis.dataDir, 'redis.log'))}`);
}

async function main(command: Command): Promise<void> {
  switch (command) {
    case 'start':
      printStarted(await startDevInfra());
      return;
    case 'stop':
      await stopDevInfra();
      console.log('Kafka and Redis stopped (data kept in .local/; delete it for a clean slate)');
      return;
    case 'status':
      await status();
      return;
  }
}

if (require.main === module) {
  const command = parseOrExit({ name: 'infra', usage: USAGE }, () => parseInfraArgs(process.argv.slice(2)));
  main(command).then(
    () => process.exit(0),
    (error: Error) => {
      console.error(`infra ${command}: ${error.message}`);
      process.exit(1);
    },
  );
}
