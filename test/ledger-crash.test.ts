import { Redis } from 'ioredis';

import { listShifts, readShiftLedger } from '@app/ledger';

import { createTopic, produceLines, produceSteadily, randomName, testBrokers } from './helpers/kafka';
import {
  facilityTotals,
  groupProgress,
  LedgerProcess,
  waitUntilConsumed,
  waitUntilReady,
  waitWhileRunning,
} from './helpers/ledger-process';
import { uniqueRedisUrl } from './helpers/redis';
import { makeScenario, type Scenario } from './helpers/scenario';

jest.setTimeout(600_000);

let redisUrl: string;
let redis: Redis;
beforeAll(async () => {
  redisUrl = await uniqueRedisUrl();
  redis = new Redis(redisUrl);
});
afterAll(async () => {
  await redis.quit();
});

const START = Date.now() - 6 * 3_600_000;
const scenarioFor = (prefix: string) =>
  makeScenario({
    seed: 7,
    items: 16_000,
    prefix,
    resent: 0.04,
    doubleScans: 0.03,
    closuresFirst: 0.05,
    startMs: START,
  });

/** Every shift ledger of the scenario's facilities, with the run's prefix taken out of the names. */
async function ledgersOf(scenario: Scenario, prefix: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const facility of scenario.facilities) {
    for (const shiftId of await listShifts(redis, facility)) {
      out.push(
        JSON.parse(JSON.stringify(await readShiftLedger(redis, facility, shiftId)).replaceAll(prefix, 'X')),
      );
    }
  }
  return out;
}

async function consumeWithLedger(
  topic: string,
  group: string,
  kills: number[],
  total: number,
): Promise<LedgerProcess[]> {
  const env = {
    KAFKA_BROKERS: testBrokers(),
    REDIS_URL: redisUrl,
    SCAN_TOPIC: topic,
    LEDGER_GROUP_ID: group,
  };
  const processes = [new LedgerProcess(env)];
  for (const share of kills) {
    const current = processes[processes.length - 1];
    await waitWhileRunning(
      current,
      async () => (await groupProgress(testBrokers(), group, topic)).committed >= share * total,
      { what: `${share * 100}% of the stream committed`, timeoutMs: 180_000, intervalMs: 100 },
    );
    current.kill('SIGKILL');
    expect(await current.exited).toMatchObject({ signal: 'SIGKILL' });
    const next = new LedgerProcess(env);
    processes.push(next);
    // the next kill must find it consuming (ready: in its group), not still starting
    await waitUntilReady(next);
  }
  return processes;
}

describe('the ledger consumer killed with SIGKILL', () => {
  const calm = scenarioFor('K0');
  let calmLedgers: unknown[];

  beforeAll(async () => {
    expect(calm.messages.length).toBeGreaterThanOrEqual(50_000);
    const topic = randomName('scans');
    const group = randomName('ledger');
    await createTopic(testBrokers(), topic, 6);
    await produceLines(
      testBrokers(),
      topic,
      calm.messages.map((m) => m.value),
      (_, i) => calm.messages[i].key,
    );
    const [ledger] = await consumeWithLedger(topic, group, [], calm.messages.length);
    await waitUntilConsumed(testBrokers(), group, topic, ledger, 300_000);
    ledger.kill('SIGTERM');
    expect(await ledger.exited).toEqual({ code: 0, signal: null });
    for (const facility of calm.facilities) {
      expect({ facility, ...(await facilityTotals(redis, facility)) }).toEqual({
        facility,
        ...calm.expected.get(facility),
      });
    }
    calmLedgers = await ledgersOf(calm, 'K0');
  });

  it.each([
    ['early', [0.1]],
    ['half way', [0.5]],
    ['near the end', [0.9]],
    ['three times', [0.2, 0.5, 0.8]],
  ])(
    'gives the ledger of an uninterrupted run when killed %s in a 50,000-event stream',
    async (name, kills) => {
      const prefix = `K${name.length}${kills.length}`;
      const crashed = scenarioFor(prefix);
      const topic = randomName('scans');
      const group = randomName('ledger');
      await createTopic(testBrokers(), topic, 6);
      const producing = produceSteadily(testBrokers(), topic, crashed.messages, 5_000);
      const processes = await consumeWithLedger(topic, group, kills, crashed.messages.length);
      await producing;
      const last = processes[processes.length - 1];
      await waitUntilConsumed(testBrokers(), group, topic, last, 300_000);
      last.kill('SIGTERM');
      expect(await last.exited).toEqual({ code: 0, signal: null });

      expect(await ledgersOf(crashed, prefix)).toEqual(calmLedgers);
    },
  );
});
