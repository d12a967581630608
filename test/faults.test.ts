/**
 * The ledger through faults, against real servers (SPEC section 10): Redis stopped for 30 s; Redis
 * killed with SIGKILL; Redis killed and the last second of its AOF lost (as in a host crash), in the
 * middle of the stream and just after it; the Kafka broker restarted; SIGTERM in the middle of a
 * batch; one of three consumers killed, on one Redis and on a 3-master Redis Cluster; a Cluster master
 * killed with the last second of its AOF lost. Each run consumes the same ~60,000-event stream,
 * produced steadily while the consumers run, and must leave exactly the ledger that an undisturbed
 * run of the stream leaves. The figures of each run (when the fault hit, how long recovery took,
 * rewinds logged) are printed at the end.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { Redis } from 'ioredis';

import { ledgerKeys } from '@app/ledger';

import { startKafka, stopKafka } from '../deploy/local/local-kafka';
import { freePorts } from '../deploy/local/ports';
import {
  AofSizeSampler,
  currentAofIncrement,
  toPage,
  TRUNCATABLE_AOF_ARGS,
  truncateAof,
} from './helpers/aof';
import {
  committedByPartition,
  committedTotal,
  figures,
  isRunning,
  lastAssignment,
  ledgersOf,
  printFigures,
  rewindsOf,
  secondsSince,
  sleep,
  SteadyProducer,
  waitForCommitted,
} from './helpers/fault-run';
import { createTopic, produceLines, randomName, testBrokers, testKafka, waitFor } from './helpers/kafka';
import { facilityTotals, LedgerProcess } from './helpers/ledger-process';
import { startTestRedis, uniqueRedisUrl } from './helpers/redis';
import { startTestRedisCluster } from './helpers/redis-cluster';
import { makeScenario, type Scenario } from './helpers/scenario';

jest.setTimeout(600_000);

const START = Date.now() - 6 * 3_600_000;
const scenarioFor = (prefix: string) =>
  makeScenario({
    seed: 23,
    items: 16_000,
    prefix,
    // 24 facilities, so that the owner-facility keys spread over all of a 12-partition topic
    stations: 23,
    resent: 0.04,
    doubleScans: 0.03,
    closuresFirst: 0.05,
    startMs: START,
  });
/** events per second while a fault run produces */
const RATE = 5_000;

/** a database of this file's own on the run's Redis, for the runs that do not stop Redis */
let sharedUrl: string;
let sharedRedis: Redis;
let calmLedgers: unknown[];

afterAll(async () => {
  printFigures();
  await sharedRedis?.quit();
});

/** The undisturbed run: the whole stream produced first, then one consumer, on the run's Redis. */
beforeAll(async () => {
  sharedUrl = await uniqueRedisUrl();
  sharedRedis = new Redis(sharedUrl);
  const calm = scenarioFor('F0');
  const events = calm.messages.length;
  expect(events).toBeGreaterThanOrEqual(50_000);
  const topic = randomName('scans');
  const group = randomName('ledger');
  await createTopic(testBrokers(), topic, 6);
  await produceLines(
    testBrokers(),
    topic,
    calm.messages.map((m) => m.value),
    (_, i) => calm.messages[i].key,
  );
  const ledger = new LedgerProcess(ledgerEnv(testBrokers(), topic, group, sharedUrl));
  const started = Date.now();
  await waitForCommitted(testBrokers(), group, topic, events, [ledger], 300_000);
  figures['undisturbed run'] = { events, consumedInSeconds: secondsSince(started) };
  ledger.kill('SIGTERM');
  expect(await ledger.exited).toEqual({ code: 0, signal: null });
  for (const facility of calm.facilities) {
    expect({ facility, ...(await facilityTotals(sharedRedis, facility)) }).toEqual({
      facility,
      ...calm.expected.get(facility),
    });
  }
  calmLedgers = await ledgersOf(sharedRedis, calm, 'F0');
});

function ledgerEnv(
  brokers: string,
  topic: string,
  group: string,
  redisUrl: string,
  clusterNodes: string[] = [],
): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers,
    REDIS_URL: redisUrl,
    ...(clusterNodes.length > 0 ? { REDIS_CLUSTER_NODES: clusterNodes.join(',') } : {}),
    SCAN_TOPIC: topic,
    LEDGER_GROUP_ID: group,
    LEDGER_METRICS_PORT: '0',
  };
}

interface FaultRun {
  scenario: Scenario;
  brokers: string;
  topic: string;
  group: string;
  total: number;
  producer: SteadyProducer;
  /** every consumer started; a fault may kill some and start others */
  consumers: LedgerProcess[];
  startConsumer(): LedgerProcess;
  /** when the first consumers were started */
  startedAt: number;
}

interface FaultRunOptions {
  prefix: string;
  brokers?: string;
  redisUrl: string;
  clusterNodes?: string[];
  partitions?: number;
  consumers?: number;
  rate?: number;
  fault(run: FaultRun): Promise<void>;
}

/**
 * Runs the scenario through `consumers` ledger processes while it is produced, applies the fault,
 * checks that the topic holds the stream exactly once, waits until the group has committed all of it,
 * and stops the consumers still running with SIGTERM (each must exit 0). Returns the scenario, whose
 * ledger the caller reads back.
 */
async function runWithFault(opts: FaultRunOptions): Promise<Scenario> {
  const scenario = scenarioFor(opts.prefix);
  const brokers = opts.brokers ?? testBrokers();
  const topic = randomName('scans');
  const group = randomName('ledger');
  await createTopic(brokers, topic, opts.partitions ?? 6);
  const env = ledgerEnv(brokers, topic, group, opts.redisUrl, opts.clusterNodes);
  const consumers: LedgerProcess[] = [];
  const startConsumer = () => {
    const consumer = new LedgerProcess(env);
    consumers.push(consumer);
    return consumer;
  };
  for (let i = 0; i < (opts.consumers ?? 1); i++) startConsumer();
  const run: FaultRun = {
    scenario,
    brokers,
    topic,
    group,
    total: scenario.messages.length,
    producer: new SteadyProducer(brokers, topic, scenario, opts.rate ?? RATE),
    consumers,
    startConsumer,
    startedAt: Date.now(),
  };
  const live = async () => (await Promise.all(consumers.map(isRunning))).map((r, i) => r && consumers[i]);
  try {
    await opts.fault(run);
    await run.producer.done;
    const admin = testKafka(brokers).admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
    // the stream is the undisturbed run's: every message once (a re-sent chunk would add duplicates)
    expect(ends.reduce((sum, p) => sum + Number(p.high), 0)).toBe(run.total);
    await waitForCommitted(brokers, group, topic, run.total, consumers, 300_000);
  } finally {
    for (const consumer of (await live()).filter(Boolean)) (consumer as LedgerProcess).kill('SIGTERM');
    await run.producer.done.catch(() => undefined);
  }
  for (const consumer of consumers) {
    const { signal } = await consumer.exited;
    if (signal === 'SIGKILL') continue; // killed by the fault
    expect({ exit: await consumer.exited, said: consumer.tail(5) }).toMatchObject({
      exit: { code: 0, signal: null },
    });
  }
  return scenario;
}

/** Where the fault hit: what was committed and produced, and seconds since the consumers started. */
async function faultPoint(run: FaultRun): Promise<Record<string, number>> {
  return {
    committedAtFault: await committedTotal(run.brokers, run.group, run.topic),
    producedAtFault: run.producer.produced,
    faultAtSeconds: secondsSince(run.startedAt),
  };
}

/** Seconds from `since` until the group has committed more than `beyond`. */
async function recoverySeconds(run: FaultRun, beyond: number, since: number): Promise<number> {
  await waitForCommitted(run.brokers, run.group, run.topic, beyond + 1, run.consumers);
  return secondsSince(since);
}

/** The kept positions of a rewind's log line, summed over its partitions. */
function rewoundTo(line: string): number {
  const { partitions } = JSON.parse(line) as { partitions: Record<string, number> };
  return Object.values(partitions).reduce((sum, offset) => sum + offset, 0);
}

describe('the ledger through faults gives exactly the ledger of an undisturbed run', () => {
  it('when Redis is stopped for 30 s mid-stream and restarted on the same data dir', async () => {
    const redis = await startTestRedis();
    const client = new Redis(redis.url);
    try {
      const scenario = await runWithFault({
        prefix: 'FS',
        redisUrl: redis.url,
        async fault(run) {
          const [consumer] = run.consumers;
          await waitForCommitted(run.brokers, run.group, run.topic, 0.4 * run.total, run.consumers);
          const at = await faultPoint(run);
          const stoppedAt = Date.now();
          await redis.stop();
          // what was applied before the stop is committed within a flush (1 s); then nothing may move
          await sleep(3_000);
          const frozen = await committedTotal(run.brokers, run.group, run.topic);
          await sleep(30_000 - (Date.now() - stoppedAt));
          expect(await committedTotal(run.brokers, run.group, run.topic)).toBe(frozen);
          expect(await isRunning(consumer)).toBe(true);
          const rewindsBefore = rewindsOf(consumer).length;
          const restartedAt = Date.now();
          await redis.restart();
          const recovered = await recoverySeconds(run, frozen, restartedAt);
          figures['Redis stopped 30 s'] = {
            events: run.total,
            ...at,
            redisDownSeconds: Math.round((restartedAt - stoppedAt) / 100) / 10,
            committedWhileDown: frozen,
            recoverySeconds: recovered,
            rewindsLogged: rewindsOf(consumer).length - rewindsBefore,
          };
          expect(rewindsOf(consumer).length).toBeGreaterThan(rewindsBefore);
        },
      });
      expect(await ledgersOf(client, scenario, 'FS')).toEqual(calmLedgers);
    } finally {
      client.disconnect();
      await redis.dispose();
    }
  });

  it('when Redis is killed with SIGKILL mid-stream and restarted on its append-only file', async () => {
    const redis = await startTestRedis();
    const client = new Redis(redis.url);
    try {
      const scenario = await runWithFault({
        prefix: 'FK',
        redisUrl: redis.url,
        async fault(run) {
          const [consumer] = run.consumers;
          await waitForCommitted(run.brokers, run.group, run.topic, 0.4 * run.total, run.consumers);
          const at = await faultPoint(run);
          const rewindsBefore = rewindsOf(consumer).length;
          // a write acknowledged just before the kill: is it there after the restart?
          const probe = randomName('probe');
          await client.set('fault-probe', probe);
          const killedAt = Date.now();
          await redis.kill();
          await redis.restart();
          const restartedAt = Date.now();
          const recovered = await recoverySeconds(run, at.committedAtFault, restartedAt);
          figures['Redis SIGKILL'] = {
            events: run.total,
            ...at,
            redisDownSeconds: Math.round((restartedAt - killedAt) / 100) / 10,
            recoverySeconds: recovered,
            rewindsLogged: rewindsOf(consumer).length - rewindsBefore,
            probeWriteSurvived: (await client.get('fault-probe')) === probe,
          };
          expect(rewindsOf(consumer).length).toBeGreaterThan(rewindsBefore);
        },
      });
      expect(await ledgersOf(client, scenario, 'FK')).toEqual(calmLedgers);
    } finally {
      client.disconnect();
      await redis.dispose();
    }
  });

  it('when Redis is killed and its last second of append-only file is lost', async () => {
    const redis = await startTestRedis({ extraArgs: TRUNCATABLE_AOF_ARGS });
    const client = new Redis(redis.url);
    const sampler = new AofSizeSampler(currentAofIncrement(redis.dataDir));
    try {
      const scenario = await runWithFault({
        prefix: 'FT',
        redisUrl: redis.url,
        async fault(run) {
          const [consumer] = run.consumers;
          await waitForCommitted(run.brokers, run.group, run.topic, 0.5 * run.total, run.consumers);
          const at = await faultPoint(run);
          const rewindsBefore = rewindsOf(consumer).length;
          const killedAt = Date.now();
          await redis.kill();
          sampler.stop();
          // what a host crash with appendfsync everysec loses: the writes of the last second
          const cut = truncateAof(sampler.file, toPage(sampler.sizeAt(killedAt - 1_000)));
          expect(cut.watermarkWrites).toBeGreaterThan(0);
          await redis.restart();
          const restartedAt = Date.now();
          const recovered = await recoverySeconds(run, at.committedAtFault, restartedAt);
          const rewinds = rewindsOf(consumer).slice(rewindsBefore);
          figures['Redis SIGKILL, last second of AOF lost'] = {
            events: run.total,
            ...at,
            aofBytesCut: cut.bytesBefore - cut.bytesAfter,
            scriptTransactionsLost: cut.transactions,
            partitionBatchWatermarksLost: cut.watermarkWrites,
            recoverySeconds: recovered,
            rewindsLogged: rewinds.length,
            firstRewindBehindKafkaCommit: rewinds.length
              ? at.committedAtFault - rewoundTo(rewinds[0])
              : undefined,
          };
          expect(rewinds.length).toBeGreaterThan(0);
          // it went back to before what Kafka had committed: the lost writes were read again
          expect(rewoundTo(rewinds[0])).toBeLessThan(at.committedAtFault);
        },
      });
      const log = fs.readFileSync(path.join(redis.dataDir, 'redis.log'), 'utf8');
      expect(log).toMatch(/Truncating the AOF .* loaded anyway because aof-load-truncated is enabled/s);
      expect(await ledgersOf(client, scenario, 'FT')).toEqual(calmLedgers);
    } finally {
      sampler.stop();
      client.disconnect();
      await redis.dispose();
    }
  });

  it('when Redis is killed just after the stream is consumed and its last writes are lost', async () => {
    const redis = await startTestRedis({ extraArgs: TRUNCATABLE_AOF_ARGS });
    const client = new Redis(redis.url);
    const sampler = new AofSizeSampler(currentAofIncrement(redis.dataDir));
    try {
      const scenario = await runWithFault({
        prefix: 'FI',
        redisUrl: redis.url,
        async fault(run) {
          const [consumer] = run.consumers;
          await run.producer.done;
          await waitForCommitted(run.brokers, run.group, run.topic, run.total, run.consumers);
          const faultAtSeconds = secondsSince(run.startedAt);
          const rewindsBefore = rewindsOf(consumer).length;
          const killedAt = Date.now();
          await redis.kill();
          sampler.stop();
          // The last scans were applied within about a second of their commit, which was just seen.
          // One Redis: losing its last two seconds is as safe as losing one (the kept positions are
          // in the same file, after the writes they cover), and sure to take the last applies.
          const cut = truncateAof(sampler.file, toPage(sampler.sizeAt(killedAt - 2_000)));
          expect(cut.watermarkWrites).toBeGreaterThan(0);
          await redis.restart();
          const restartedAt = Date.now();
          // no scan comes any more: the consumer alone must notice and read the lost ones again
          const exact = await waitFor(
            async () =>
              JSON.stringify(await ledgersOf(client, run.scenario, 'FI')) === JSON.stringify(calmLedgers),
            { what: 'the ledger to be exact again', timeoutMs: 60_000, intervalMs: 500 },
          ).then(
            () => secondsSince(restartedAt),
            () => undefined,
          );
          figures['Redis SIGKILL after the stream, last 2 s of AOF lost'] = {
            events: run.total,
            faultAtSeconds,
            aofBytesCut: cut.bytesBefore - cut.bytesAfter,
            partitionBatchWatermarksLost: cut.watermarkWrites,
            exactAgainAfterSeconds: exact,
            rewindsLogged: rewindsOf(consumer).length - rewindsBefore,
          };
          expect(rewindsOf(consumer).length).toBeGreaterThan(rewindsBefore);
        },
      });
      expect(await ledgersOf(client, scenario, 'FI')).toEqual(calmLedgers);
    } finally {
      sampler.stop();
      client.disconnect();
      await redis.dispose();
    }
  });

  it('when the Kafka broker is restarted mid-stream', async () => {
    const [port, controllerPort] = await freePorts(2);
    const dataDir = fs.mkdtempSync(path.join(process.env.HBM_TEST_ROOT ?? os.tmpdir(), 'kafka-'));
    const kafkaOptions = { port, controllerPort, dataDir };
    try {
      const kafka = await startKafka(kafkaOptions);
      const scenario = await runWithFault({
        prefix: 'FB',
        brokers: kafka.brokers,
        redisUrl: sharedUrl,
        async fault(run) {
          await waitForCommitted(run.brokers, run.group, run.topic, 0.4 * run.total, run.consumers);
          // production holds while the broker is away, so that no chunk is half written and re-sent
          await run.producer.hold();
          const at = await faultPoint(run);
          const stoppedAt = Date.now();
          await stopKafka(dataDir);
          // down for longer than the consumer's session timeout (6 s)
          await sleep(10_000);
          await startKafka(kafkaOptions);
          const upAt = Date.now();
          run.producer.release();
          const recovered = await recoverySeconds(run, at.committedAtFault, upAt);
          figures['Kafka broker restarted'] = {
            events: run.total,
            ...at,
            brokerDownSeconds: Math.round((upAt - stoppedAt) / 100) / 10,
            recoverySeconds: recovered,
            consumerCrashesLogged: run.consumers[0].output.filter((l) => l.includes('consumer crashed'))
              .length,
          };
        },
      });
      expect(await ledgersOf(sharedRedis, scenario, 'FB')).toEqual(calmLedgers);
    } finally {
      await stopKafka(dataDir);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('when the consumer gets SIGTERM in the middle of a batch and is started again', async () => {
    const scenario = await runWithFault({
      prefix: 'FG',
      redisUrl: sharedUrl,
      // faster than the consumer applies, so that it always has a batch in hand
      rate: 20_000,
      async fault(run) {
        const [first] = run.consumers;
        await waitForCommitted(run.brokers, run.group, run.topic, 0.3 * run.total, run.consumers);
        const at = await faultPoint(run);
        expect(at.producedAtFault - at.committedAtFault).toBeGreaterThan(2_000);
        const signalledAt = Date.now();
        first.kill('SIGTERM');
        expect(await first.exited).toEqual({ code: 0, signal: null });
        const exitSeconds = secondsSince(signalledAt);
        expect(exitSeconds).toBeLessThan(30);
        expect(first.output.some((l) => l.includes('"stopped"') && l.includes('"inFlight":0'))).toBe(true);

        // it committed what it applied, and only that: per partition, Kafka's committed offset, the
        // position kept in Redis and the facilities' watermarks agree
        const committed = await committedByPartition(run.brokers, run.group, run.topic);
        const kept = await sharedRedis.hgetall(ledgerKeys.positions(run.group));
        const applied = new Map<number, number>();
        for (const facility of run.scenario.facilities) {
          for (const [field, wm] of Object.entries(
            await sharedRedis.hgetall(ledgerKeys.watermarks(facility)),
          )) {
            const partition = Number(field.slice(field.lastIndexOf(':') + 1));
            applied.set(partition, Math.max(applied.get(partition) ?? 0, Number(wm) + 1));
          }
        }
        for (const [partition, next] of applied) {
          expect({
            partition,
            committed: committed.get(partition),
            kept: Number(kept[`${run.topic}:${partition}`]),
          }).toEqual({
            partition,
            committed: next,
            kept: next,
          });
        }
        const committedAtExit = [...committed.values()].reduce((a, b) => a + b, 0);
        expect(committedAtExit).toBeGreaterThan(at.committedAtFault);

        const restartedAt = Date.now();
        run.startConsumer();
        const recovered = await recoverySeconds(run, committedAtExit, restartedAt);
        figures['SIGTERM mid-batch'] = {
          events: run.total,
          ...at,
          backlogAtSignal: at.producedAtFault - at.committedAtFault,
          exitSeconds,
          committedAtExit,
          restartToProgressSeconds: recovered,
        };
      },
    });
    expect(await ledgersOf(sharedRedis, scenario, 'FG')).toEqual(calmLedgers);
  });

  it('with three consumers on 12 partitions, one killed with SIGKILL mid-stream', async () => {
    const scenario = await runWithFault({
      prefix: 'FX',
      redisUrl: sharedUrl,
      partitions: 12,
      consumers: 3,
      fault: (run) => killOneOfThree(run, 'three consumers, one SIGKILL'),
    });
    expect(await ledgersOf(sharedRedis, scenario, 'FX')).toEqual(calmLedgers);
  });

  it('with three consumers on a 3-master Redis Cluster, one killed with SIGKILL mid-stream', async () => {
    const cluster = await startTestRedisCluster(3);
    const client = cluster.client();
    try {
      const scenario = await runWithFault({
        prefix: 'FC',
        redisUrl: `redis://${cluster.nodes[0]}`,
        clusterNodes: cluster.nodes,
        partitions: 12,
        consumers: 3,
        fault: (run) => killOneOfThree(run, 'Redis Cluster, three consumers, one SIGKILL'),
      });
      expect(await ledgersOf(client, scenario, 'FC')).toEqual(calmLedgers);
    } finally {
      client.disconnect();
      await cluster.dispose();
    }
  });

  it.each([
    ['mid-stream', 'FM'],
    ['just after the stream is consumed', 'FJ'],
  ])(
    'when a master of a 3-master Redis Cluster is killed %s and its last second of AOF is lost',
    async (when, prefix) => {
      const cluster = await startTestRedisCluster(3, { extraArgs: TRUNCATABLE_AOF_ARGS });
      const client = cluster.client();
      const samplers = cluster.dataDirs.map((dir) => new AofSizeSampler(currentAofIncrement(dir)));
      try {
        const scenario = await runWithFault({
          prefix,
          redisUrl: `redis://${cluster.nodes[0]}`,
          clusterNodes: cluster.nodes,
          async fault(run) {
            const [consumer] = run.consumers;
            // the master with the most facilities, other than the one that keeps the positions: that
            // one's writes survive whole, so only the checkpoint lag keeps them behind the lost state
            const positionsNode = await cluster.nodeOf(ledgerKeys.positions(run.group));
            const owners = await Promise.all(
              run.scenario.facilities.map((f) => cluster.nodeOf(ledgerKeys.watermarks(f))),
            );
            const victim = [0, 1, 2]
              .filter((i) => i !== positionsNode)
              .sort((a, b) => owners.filter((o) => o === b).length - owners.filter((o) => o === a).length)[0];
            if (when === 'mid-stream') {
              await waitForCommitted(run.brokers, run.group, run.topic, 0.5 * run.total, run.consumers);
            } else {
              // killed within the second after its last write, so that the lost second holds some
              await run.producer.done;
              await samplers[victim].quietFor(300);
            }
            const at = await faultPoint(run);
            const rewindsBefore = rewindsOf(consumer).length;
            const killedAt = Date.now();
            await cluster.kill(victim);
            samplers[victim].stop();
            const cut = truncateAof(samplers[victim].file, toPage(samplers[victim].sizeAt(killedAt - 1_000)));
            expect(cut.watermarkWrites).toBeGreaterThan(0);
            await cluster.restart(victim);
            const restartedAt = Date.now();
            const exact = await waitFor(
              async () =>
                JSON.stringify(await ledgersOf(client, run.scenario, prefix)) === JSON.stringify(calmLedgers),
              { what: 'the ledger to be exact again', timeoutMs: 90_000, intervalMs: 500 },
            ).then(
              () => secondsSince(restartedAt),
              () => undefined,
            );
            figures[`Redis Cluster master SIGKILL ${when}, last second of its AOF lost`] = {
              events: run.total,
              ...at,
              facilitiesOnKilledMaster: owners.filter((o) => o === victim).length,
              aofBytesCut: cut.bytesBefore - cut.bytesAfter,
              partitionBatchWatermarksLost: cut.watermarkWrites,
              masterDownSeconds: Math.round((restartedAt - killedAt) / 100) / 10,
              exactAgainAfterSeconds: exact,
              rewindsLogged: rewindsOf(consumer).length - rewindsBefore,
            };
            expect(rewindsOf(consumer).length).toBeGreaterThan(rewindsBefore);
          },
        });
        expect(await ledgersOf(client, scenario, prefix)).toEqual(calmLedgers);
      } finally {
        samplers.forEach((s) => s.stop());
        client.disconnect();
        await cluster.dispose();
      }
    },
  );
});

/**
 * Waits until three consumers share the group's partitions, kills one with partitions at 40% of the
 * stream, and waits until each of its partitions moves on under another consumer.
 */
async function killOneOfThree(run: FaultRun, name: string): Promise<void> {
  const admin = testKafka(run.brokers).admin();
  await admin.connect();
  try {
    await waitFor(
      async () => {
        const { groups } = await admin.describeGroups([run.group]);
        return groups[0]?.state === 'Stable' && groups[0].members.length === 3;
      },
      { what: `three members in group ${run.group}`, timeoutMs: 60_000, intervalMs: 250 },
    );
  } finally {
    await admin.disconnect();
  }
  await waitForCommitted(run.brokers, run.group, run.topic, 0.4 * run.total, run.consumers);
  const victim = run.consumers.find((c) => lastAssignment(c).length > 0) as LedgerProcess;
  const at = await faultPoint(run);
  const before = await committedByPartition(run.brokers, run.group, run.topic);
  // its partitions that carry scans (the key is the owner facility: a partition may carry none)
  const partitions = lastAssignment(victim).filter((p) => before.has(p));
  expect(partitions.length).toBeGreaterThan(0);
  const killedAt = Date.now();
  victim.kill('SIGKILL');
  expect(await victim.exited).toMatchObject({ signal: 'SIGKILL' });
  await waitFor(
    async () => {
      const now = await committedByPartition(run.brokers, run.group, run.topic);
      return partitions.every((p) => (now.get(p) ?? 0) > (before.get(p) ?? 0));
    },
    {
      what: `partitions ${partitions.join(', ')} of the killed consumer to move on; the others said:\n${run.consumers
        .filter((c) => c !== victim)
        .map((c) => c.tail(20))
        .join('\n---\n')}`,
      timeoutMs: 120_000,
      intervalMs: 250,
    },
  );
  figures[name] = {
    events: run.total,
    ...at,
    killedConsumerPartitions: partitions,
    takeoverSeconds: secondsSince(killedAt),
  };
}
