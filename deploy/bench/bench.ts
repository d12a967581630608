/**
 * `npm run bench -- [--quick] [--events N] [--out DIR] [...]`: the throughput, delay and memory figures
 * of issue 6 in one run, on a Kafka and a Redis of its own (or those of KAFKA_BROKERS and REDIS_URL):
 *   (1) raw kafkajs consume rate of the benchmark topic, no processing
 *   (2) Redis's rate for the ledger's script with the consumer's batching
 *   (3) the ledger's end-to-end rate (Kafka to applied in Redis) with 1 and with 2 processes
 *   (4) alert delay p50/p99 under load: at --alert-rate, and again at half of (3)'s one-process rate
 *   (5) Redis memory per million open hand-offs, and per closed hand-off kept for the DEDUP_DAYS window
 *   (6) a naive peer: the same rules, one event per call through @nestjs/microservices' Kafka transport
 *   (7) the peer a JVM team would pick: Kafka Streams counting per (facility, shift, type) in RocksDB,
 *       exactly_once_v2 (deploy/bench/kstreams-peer, built with Maven)
 * and writes bench-report.md and bench-report.json (at the repository root unless --out says where).
 * The Markdown report ends with a capacity table for national peak rates computed from the measured
 * per-event costs (report.ts, capacityOf).
 * Progress goes to stderr. Redis databases --redis-db .. --redis-db+9 (default 70-79) are flushed and used.
 * When (3)/(1) or (3)/(6) misses its target (or with --profile), the ledger is run once more under
 * `node --cpu-prof` and the report gets the summary of where its time went (the profile itself:
 * bench-report.cpuprofile, beside the report).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { parseEnv, RuleSettings, rulesOf } from '@app/config';
import { LedgerStore } from '@app/ledger';
import { createRedisClient, type RedisClient } from '@app/redis';

import { numberOption, parseCommandLine, parseOrExit } from '../local/cli-args';
import { measureAlertDelay } from './alert-delay';
import { startBenchServers, type BenchServers } from './bench-servers';
import { benchKafka, produceBenchTopic } from './bench-topic';
import { newestProfile, summariseProfile } from './cpu-profile';
import { measureEndToEnd, type EndToEndResult } from './end-to-end';
import { buildKStreamsPeer, kstreamsPeer } from './kstreams-peer';
import { BenchProcess } from './processes';
import { fmt, Progress } from './progress';
import { measureRawConsume } from './raw-consume';
import { measureRedisMemory } from './redis-memory';
import {
  capacityOf,
  ratio,
  renderMarkdown,
  type AlertDelayAtHalf,
  type BenchReport,
  type CapacityAssumptions,
  type Target,
} from './report';
import { measureScriptRate, prepareBatches } from './script-rate';

const root = path.resolve(__dirname, '..', '..');

export interface BenchOptions {
  quick: boolean;
  events: number;
  partitions: number;
  seed: number;
  out: string;
  memoryHandOffs: number;
  alertRate: number;
  alertSeconds: number;
  alertSettleSeconds: number;
  /** longest measuring window of each end-to-end run */
  maxSeconds: number;
  redisDb: number;
  profile: 'always' | 'on-miss' | 'never';
  network: { centres: number; stationsPerCentre: number; routesPerStation: number };
}

const USAGE = `usage: npm run bench -- [--quick] [--events N] [--partitions N] [--seed N] [--out DIR]
  [--memory-handoffs N] [--alert-rate N] [--alert-seconds N] [--max-seconds N] [--redis-db N]
  [--profile | --no-profile] [-h | --help]`;

const BENCH_OPTIONS = {
  quick: { type: 'boolean' },
  events: { type: 'string' },
  partitions: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  'memory-handoffs': { type: 'string' },
  'alert-rate': { type: 'string' },
  'alert-seconds': { type: 'string' },
  'max-seconds': { type: 'string' },
  'redis-db': { type: 'string' },
  profile: { type: 'boolean' },
  'no-profile': { type: 'boolean' },
} as const;
type NumberOption = Exclude<keyof typeof BENCH_OPTIONS, 'quick' | 'out' | 'profile' | 'no-profile'>;

/** The command line as BenchOptions; throws UsageError (one line, naming the flag) or HelpRequested. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const { values } = parseCommandLine(argv, BENCH_OPTIONS);
  const quick = values.quick === true;
  const number = (name: NumberOption, full: number, small: number) =>
    numberOption(values[name], name, quick ? small : full);
  return {
    quick,
    events: number('events', 1_000_000, 20_000),
    partitions: number('partitions', 12, 12),
    seed: number('seed', 1, 1),
    out: values.out !== undefined ? path.resolve(values.out) : root,
    memoryHandOffs: number('memory-handoffs', 200_000, 5_000),
    alertRate: number('alert-rate', 5_000, 500),
    alertSeconds: number('alert-seconds', 60, 10),
    alertSettleSeconds: quick ? 10 : 15,
    maxSeconds: number('max-seconds', 60, 15),
    redisDb: number('redis-db', 70, 70),
    profile: values.profile === true ? 'always' : values['no-profile'] === true ? 'never' : 'on-miss',
    network: quick
      ? { centres: 2, stationsPerCentre: 4, routesPerStation: 6 }
      : { centres: 8, stationsPerCentre: 12, routesPerStation: 8 },
  };
}

/** 5000 -> '5k/s', 500 -> '500/s' */
const perSecond = (rate: number) =>
  rate >= 1_000 && rate % 1_000 === 0 ? `${rate / 1_000}k/s` : `${fmt(rate)}/s`;

async function redisAt(url: string, db: number): Promise<RedisClient> {
  const redis = createRedisClient(
    { url: `${url}/${db}`, clusterNodes: [] },
    { name: 'bench', queueWhileDisconnected: false },
  );
  redis.on('error', () => undefined); // a failed SELECT is thrown below, with its database
  await redis.connect();
  try {
    await redis.select(db);
  } catch (error) {
    redis.disconnect();
    throw new Error(`Redis at ${url} has no database ${db} (--redis-db): ${(error as Error).message}`);
  }
  await redis.flushdb();
  return redis;
}

/** Microseconds Redis has spent in commands since it started (INFO commandstats). */
async function commandMicros(redis: RedisClient): Promise<number> {
  const info = await redis.info('commandstats');
  let sum = 0;
  for (const m of info.matchAll(/usec=(\d+)/g)) sum += Number(m[1]);
  return sum;
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const progress = new Progress();
  const startedAt = new Date().toISOString();
  const loadBefore = os.loadavg().map((l) => Math.round(l * 100) / 100);
  progress.line(
    `${options.quick ? 'quick run' : 'full run'}: ${options.events} events; load average ${loadBefore.join(' ')} on ${os.cpus().length} cores`,
  );
  const servers: BenchServers = await startBenchServers({
    brokers: process.env.KAFKA_BROKERS,
    redisUrl: process.env.REDIS_URL,
  });
  progress.line(
    servers.own
      ? `started Kafka at ${servers.brokers} and Redis at ${servers.redisUrl} in ${servers.workDir}`
      : `using Kafka ${servers.brokers} and Redis ${servers.redisUrl} (KAFKA_BROKERS, REDIS_URL)`,
  );
  const kafka = benchKafka(servers.brokers);
  const admin = kafka.admin();
  const clients: RedisClient[] = [];
  try {
    await admin.connect();
    const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`.toUpperCase();
    const topic = await produceBenchTopic({
      kafka,
      topic: `bench-${run}.scans`,
      partitions: options.partitions,
      events: options.events,
      seed: options.seed,
      prefix: `B${run}`.slice(0, 20),
      network: options.network,
      workDir: servers.workDir,
      progress,
    });
    const rules = rulesOf(
      parseEnv(RuleSettings, {
        ...process.env,
        SCAN_TOPIC: topic.topic,
        FACILITIES_FILE: topic.facilitiesFile,
      }),
    );
    const ledgerOptions = {
      orphanWaitMs: rules.orphanWaitMs,
      retentionMs: rules.retentionMs,
      deadlines: rules.deadlines,
      graceMs: rules.graceMs,
    };
    const concurrency = 2; // PARTITIONS_CONSUMED_CONCURRENTLY's default, which the ledger runs with
    const statsRedis = await redisAt(servers.redisUrl, options.redisDb + 9);
    clients.push(statsRedis);

    // (1)
    const raw = await measureRawConsume({
      kafka,
      topic: topic.topic,
      events: topic.events,
      partitionsConsumedConcurrently: concurrency,
      groupId: `bench-${run}-raw`,
      progress,
      timeoutMs: 600_000,
    });

    // (2)
    const scriptRedis = await redisAt(servers.redisUrl, options.redisDb);
    clients.push(scriptRedis);
    const prepared = prepareBatches(topic.byPartition, raw.batches, rules, Date.now());
    const script = await measureScriptRate({
      ledger: new LedgerStore(scriptRedis, ledgerOptions),
      topic: topic.topic,
      batches: prepared,
      concurrency,
      progress,
    });
    prepared.length = 0;

    // (3) and (6)
    const serviceEnv = (db: number, extra: Record<string, string>): NodeJS.ProcessEnv => ({
      ...process.env,
      KAFKA_BROKERS: servers.brokers,
      REDIS_URL: `${servers.redisUrl}/${db}`,
      SCAN_TOPIC: topic.topic,
      SCAN_TOPIC_PARTITIONS: String(topic.partitions),
      FACILITIES_FILE: topic.facilitiesFile,
      LEDGER_METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
      ...extra,
    });
    const endToEnd = async (
      label: string,
      db: number,
      groupId: string,
      start: (env: NodeJS.ProcessEnv) => BenchProcess[],
      maxSeconds = options.maxSeconds,
    ): Promise<EndToEndResult> => {
      clients.push(await redisAt(servers.redisUrl, db));
      return measureEndToEnd({
        label,
        admin,
        groupId,
        topic: topic.topic,
        events: topic.events,
        start: () => start(serviceEnv(db, { LEDGER_GROUP_ID: groupId, NAIVE_GROUP_ID: groupId })),
        serverPids: { redis: servers.redisPid, kafka: servers.kafkaPid, bench: process.pid },
        redisCommandMicros: () => commandMicros(statsRedis),
        maxSeconds,
        progress,
      });
    };
    const ledgers =
      (n: number, nodeArgs: string[] = []) =>
      (env: NodeJS.ProcessEnv) =>
        Array.from({ length: n }, () => new BenchProcess('ledger', 'apps/ledger/src/main.ts', env, nodeArgs));
    const oneProcess = await endToEnd(
      '(3) ledger, 1 process',
      options.redisDb + 1,
      `bench-${run}-ledger1`,
      ledgers(1),
    );
    const twoProcesses = await endToEnd(
      '(3) ledger, 2 processes',
      options.redisDb + 2,
      `bench-${run}-ledger2`,
      ledgers(2),
    );
    const naivePeer = await endToEnd('(6) naive peer', options.redisDb + 3, `bench-${run}-naive`, (env) => [
      new BenchProcess('naive-peer', 'deploy/bench/naive-peer/main.ts', env),
    ]);

    // (7)
    const classPath = buildKStreamsPeer(progress);
    const kstreamsGroup = `bench-${run}-kstreams`;
    const kstreams = await measureEndToEnd({
      label: '(7) Kafka Streams peer',
      admin,
      groupId: kstreamsGroup,
      topic: topic.topic,
      events: topic.events,
      start: () => [
        kstreamsPeer(classPath, {
          brokers: servers.brokers,
          topic: topic.topic,
          applicationId: kstreamsGroup,
          stateDir: path.join(servers.workDir, 'kstreams-state'),
        }),
      ],
      serverPids: { redis: servers.redisPid, kafka: servers.kafkaPid, bench: process.pid },
      redisCommandMicros: async () => null,
      maxSeconds: options.maxSeconds,
      progress,
    });

    // (4)
    clients.push(await redisAt(servers.redisUrl, options.redisDb + 4));
    const alertDelay = await measureAlertDelay({
      brokers: servers.brokers,
      redisUrl: `${servers.redisUrl}/${options.redisDb + 4}`,
      rate: options.alertRate,
      seconds: options.alertSeconds,
      settleSeconds: options.alertSettleSeconds,
      progress,
    });
    progress.line(
      `(4) alert delay: FIRING p50 ${alertDelay.fire.p50} ms, p99 ${alertDelay.fire.p99} ms (n=${alertDelay.fire.n})`,
    );

    // (4) again at half of (3)'s one-process rate; --quick caps it at --alert-rate to stay short
    const halfOfOneProcess = Math.round(oneProcess.eventsPerSecond / 2);
    const halfRate = Math.max(
      1,
      options.quick ? Math.min(halfOfOneProcess, options.alertRate) : halfOfOneProcess,
    );
    const halfLabel = '(4) alert delay at half of (3)';
    clients.push(await redisAt(servers.redisUrl, options.redisDb + 7));
    const alertDelayAtHalf: AlertDelayAtHalf = {
      ...(await measureAlertDelay({
        brokers: servers.brokers,
        redisUrl: `${servers.redisUrl}/${options.redisDb + 7}`,
        rate: halfRate,
        seconds: options.alertSeconds,
        settleSeconds: options.alertSettleSeconds,
        progress,
        label: halfLabel,
      })),
      halfOfOneProcess,
      note:
        halfRate === halfOfOneProcess
          ? null
          : options.quick
            ? `--quick: capped at --alert-rate ${fmt(options.alertRate)}`
            : 'at least 1 event/s',
    };
    progress.line(
      `${halfLabel}: ${fmt(halfRate)} events/s, FIRING p50 ${alertDelayAtHalf.fire.p50} ms, ` +
        `p99 ${alertDelayAtHalf.fire.p99} ms (n=${alertDelayAtHalf.fire.n})`,
    );

    // (5)
    const memoryRedis = await redisAt(servers.redisUrl, options.redisDb + 5);
    clients.push(memoryRedis);
    const closedRedis = await redisAt(servers.redisUrl, options.redisDb + 8);
    clients.push(closedRedis);
    const redisMemory = await measureRedisMemory({
      redis: memoryRedis,
      ledger: new LedgerStore(memoryRedis, ledgerOptions),
      closed: { redis: closedRedis, ledger: new LedgerStore(closedRedis, ledgerOptions) },
      rules,
      handOffs: options.memoryHandOffs,
      seed: options.seed,
      progress,
    });

    const ratios = {
      ledgerOverRawConsume: ratio(oneProcess.eventsPerSecond, raw.eventsPerSecond),
      ledgerOverNaivePeer: ratio(oneProcess.eventsPerSecond, naivePeer.eventsPerSecond),
      ledgerOverKStreams: ratio(oneProcess.eventsPerSecond, kstreams.eventsPerSecond),
      twoProcessesOverOne: ratio(twoProcesses.eventsPerSecond, oneProcess.eventsPerSecond),
      ledgerOverScript: ratio(oneProcess.eventsPerSecond, script.eventsPerSecond),
    };
    const ledgerCores = oneProcess.cores['ledger-1'];
    const perEvent = {
      redisMicros:
        oneProcess.redisMicrosPerEvent === null
          ? null
          : Number(oneProcess.redisMicrosPerEvent.toPrecision(3)),
      ledgerCpuMicros:
        ledgerCores !== null && ledgerCores !== undefined && oneProcess.eventsPerSecond > 0
          ? Number(((ledgerCores / oneProcess.eventsPerSecond) * 1e6).toPrecision(3))
          : null,
      bytesPerOpenHandOff: Math.round(redisMemory.bytesPerOpenHandOff),
      bytesPerClosedHandOff: Math.round(redisMemory.bytesPerClosedHandOff),
    };
    const atMost = (name: string, limit: number, value: number | null, unit = ''): Target => ({
      name,
      target: `<= ${limit}${unit}`,
      value,
      met: value !== null && value <= limit,
    });
    const atLeast = (name: string, limit: number, value: number | null): Target => ({
      name,
      target: `>= ${limit}`,
      value,
      met: (value ?? 0) >= limit,
    });
    // issue 12's targets: the throughput ratios first (a miss there profiles the ledger)
    const targets: Target[] = [
      atLeast('(3)/(1), one process', 0.2, ratios.ledgerOverRawConsume),
      atLeast('(3)/(6)', 8, ratios.ledgerOverNaivePeer),
      atLeast('(3)/(7)', 0.5, ratios.ledgerOverKStreams),
      atMost('Redis command time per event', 8, perEvent.redisMicros, ' µs'),
      atMost('ledger process CPU per event', 10, perEvent.ledgerCpuMicros, ' µs'),
      atMost('Redis memory per open hand-off', 250, perEvent.bytesPerOpenHandOff, ' B'),
      atMost('Redis memory per closed hand-off', 120, perEvent.bytesPerClosedHandOff, ' B'),
      atMost(`alert delay p99 at ${perSecond(options.alertRate)}`, 1000, alertDelay.fire.p99, ' ms'),
      atMost('alert delay p99 at half of (3)', 1000, alertDelayAtHalf.fire.p99, ' ms'),
    ];
    const capacityAssumptions: CapacityAssumptions = {
      peakOverDay: 3,
      eventsPerHandOff: 2,
      openHours: 4,
      shardCoreShare: 0.7,
      dedupDays: rules.limits.dedupDays,
      retentionDays: rules.retentionMs / 86_400_000,
      ledgerCpuMicrosPerEvent: perEvent.ledgerCpuMicros,
      redisMicrosPerEvent: perEvent.redisMicros,
      bytesPerClosedHandOff: perEvent.bytesPerClosedHandOff,
      bytesPerOpenHandOff: perEvent.bytesPerOpenHandOff,
    };

    let profile: BenchReport['profile'];
    const missed = targets.slice(0, 3).filter((t) => !t.met);
    if (options.profile === 'always' || (options.profile === 'on-miss' && missed.length > 0)) {
      const why =
        missed.length > 0
          ? `missed: ${missed.map((t) => `${t.name} = ${t.value ?? 'n/a'}`).join(', ')}`
          : '--profile';
      const dir = path.join(servers.workDir, 'profile');
      fs.mkdirSync(dir, { recursive: true });
      progress.line(`profiling the ledger (${why})`);
      const profiled = await endToEnd(
        'profiled ledger, 1 process',
        options.redisDb + 6,
        `bench-${run}-profile`,
        ledgers(1, ['--cpu-prof', '--cpu-prof-dir', dir]),
        Math.min(options.maxSeconds, 45),
      );
      const file = newestProfile(dir);
      if (file) {
        const kept = path.join(options.out, 'bench-report.cpuprofile');
        fs.mkdirSync(options.out, { recursive: true });
        fs.copyFileSync(file, kept);
        profile = {
          ...summariseProfile(file, profiled.windowStartMs),
          file: kept,
          why: `${why}; ${Math.round(profiled.eventsPerSecond)} events/s while profiled`,
        };
      } else progress.line('the profiled ledger wrote no profile');
    }

    const report: BenchReport = {
      startedAt,
      finishedAt: new Date().toISOString(),
      quick: options.quick,
      machine: {
        cpus: os.cpus().length,
        node: process.version,
        kafka: servers.kafkaVersion,
        redis: servers.redisVersion,
        loadBefore,
        loadAfter: os.loadavg().map((l) => Math.round(l * 100) / 100),
        servers: servers.own ? 'started by the bench' : 'given by KAFKA_BROKERS and REDIS_URL',
      },
      topic: {
        name: topic.topic,
        partitions: topic.partitions,
        events: topic.events,
        facilities: topic.facilities,
        roles: topic.roles as Record<string, number>,
      },
      rawConsume: {
        events: raw.events,
        seconds: raw.seconds,
        eventsPerSecond: raw.eventsPerSecond,
        batches: raw.batches.length,
        meanBatch: raw.batches.length ? raw.events / raw.batches.length : 0,
      },
      scriptRate: script,
      ledger: { oneProcess, twoProcesses },
      alertDelay,
      alertDelayAtHalf,
      redisMemory,
      naivePeer,
      kstreamsPeer: kstreams,
      perEvent,
      ratios,
      targets,
      capacity: capacityOf(capacityAssumptions),
      capacityAssumptions,
      ...(profile ? { profile } : {}),
    };
    fs.mkdirSync(options.out, { recursive: true });
    fs.writeFileSync(path.join(options.out, 'bench-report.json'), `${JSON.stringify(report, null, 2)}\n`);
    fs.writeFileSync(path.join(options.out, 'bench-report.md'), renderMarkdown(report));
    progress.line(`wrote ${path.join(options.out, 'bench-report.md')} and bench-report.json`);
    return report;
  } finally {
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    await admin.disconnect().catch(() => undefined);
    await servers.stop();
  }
}

if (require.main === module) {
  const options = parseOrExit({ name: 'bench', usage: USAGE }, () => parseBenchArgs(process.argv.slice(2)));
  runBench(options).then(
    (report) => {
      process.stdout.write(renderMarkdown(report));
      process.exit(0);
    },
    (error: Error) => {
      console.error(`bench: ${error.stack ?? error.message}`);
      process.exit(1);
    },
  );
}
