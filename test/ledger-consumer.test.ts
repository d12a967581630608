import { Redis } from 'ioredis';

import { consumeAll, createTopic, produceLines, randomName, testBrokers, testKafka } from './helpers/kafka';
import { facilityTotals, LedgerProcess, waitUntilConsumed } from './helpers/ledger-process';
import { uniqueRedisUrl } from './helpers/redis';
import { itemNumber, makeScenario } from './helpers/scenario';

let redisUrl: string;
let redis: Redis;
beforeAll(async () => {
  redisUrl = await uniqueRedisUrl();
  redis = new Redis(redisUrl);
});
afterAll(async () => {
  await redis.quit();
});

async function withLedger<T>(
  env: Record<string, string>,
  body: (ledger: LedgerProcess) => Promise<T>,
): Promise<T> {
  const ledger = new LedgerProcess({ KAFKA_BROKERS: testBrokers(), REDIS_URL: redisUrl, ...env });
  try {
    return await body(ledger);
  } finally {
    ledger.kill('SIGTERM');
    await ledger.exited;
  }
}

async function endOffsetOf(topic: string): Promise<number> {
  const admin = testKafka(testBrokers()).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

describe('the ledger consumer', () => {
  it('counts 10,000 scans over several facilities exactly, through re-sent messages, double scans and closures sent first', async () => {
    const topic = randomName('scans');
    const group = randomName('ledger');
    await createTopic(testBrokers(), topic, 6);
    const scenario = makeScenario({
      seed: 1,
      items: 3_200,
      prefix: 'C1',
      resent: 0.05,
      doubleScans: 0.03,
      closuresFirst: 0.05,
    });
    expect(scenario.messages.length).toBeGreaterThanOrEqual(10_000);
    await produceLines(
      testBrokers(),
      topic,
      scenario.messages.map((m) => m.value),
      (_, i) => scenario.messages[i].key,
    );

    await withLedger({ SCAN_TOPIC: topic, LEDGER_GROUP_ID: group }, async (ledger) => {
      await waitUntilConsumed(testBrokers(), group, topic, ledger);
      expect(await endOffsetOf(`${topic}.dlq`)).toBe(0);
      for (const facility of scenario.facilities) {
        expect({ facility, ...(await facilityTotals(redis, facility)) }).toEqual({
          facility,
          ...scenario.expected.get(facility),
        });
      }
    });
  });

  it('dead-letters every kind of bad input with its reason and source, goes on, and leaves the ledger unchanged', async () => {
    const topic = randomName('scans');
    const group = randomName('ledger');
    await createTopic(testBrokers(), topic, 2);
    const now = Date.now();
    const good = (eventId: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        eventId,
        type: 'HANDOVER',
        itemId: itemNumber('EA', 1),
        facilityId: 'DLQ-PC01',
        from: 'DLQ-PC01',
        to: 'DLQ-DS01',
        occurredAt: new Date(now - 60_000).toISOString(),
        ...extra,
      });
    const bad: [string, string | Buffer][] = [
      ['INVALID_JSON', '{"eventId": "x", '],
      ['SCHEMA', JSON.stringify({ eventId: 'b1', type: 'HANDOVER' })],
      ['BAD_ITEM_ID', good('b2', { itemId: 'EA123456784CN' })],
      ['FUTURE_TIMESTAMP', good('b3', { occurredAt: new Date(now + 3_600_000).toISOString() })],
      ['TOO_LATE', good('b4', { occurredAt: new Date(now - 8 * 86_400_000).toISOString() })],
      ['OVERSIZE', Buffer.alloc(70_000, 'x')],
      ['UNKNOWN_FACILITY', good('b5', { from: 'NOWHERE-PC99', facilityId: 'NOWHERE-PC99' })],
    ];
    const values = [good('g1'), ...bad.map(([, v]) => v), good('g2', { itemId: itemNumber('EB', 2) })];
    await produceLines(testBrokers(), topic, values, () => 'DLQ-PC01');

    await withLedger(
      {
        SCAN_TOPIC: topic,
        LEDGER_GROUP_ID: group,
        STRICT_FACILITIES: 'true',
        FACILITIES_FILE: 'test/fixtures/facilities.json',
      },
      async (ledger) => {
        await waitUntilConsumed(testBrokers(), group, topic, ledger);
        const letters = await consumeAll(testBrokers(), `${topic}.dlq`, {
          expected: bad.length,
          timeoutMs: 30_000,
        });
        expect(letters.map((l) => l.headers['x-dlq-reason']).sort()).toEqual(bad.map(([r]) => r).sort());
        for (const letter of letters) {
          const [, original] = bad.find(([r]) => r === letter.headers['x-dlq-reason']) as [
            string,
            string | Buffer,
          ];
          expect(letter.value).toEqual(original.toString());
          expect(letter.headers).toMatchObject({
            'x-source-topic': topic,
            'x-source-partition': expect.stringMatching(/^\d$/),
            'x-source-offset': expect.stringMatching(/^\d+$/),
          });
          expect(letter.headers['x-dlq-detail'].length).toBeGreaterThan(5);
        }
        expect(await facilityTotals(redis, 'DLQ-PC01')).toMatchObject({
          handedOut: 2,
          open: 2,
          duplicates: 0,
        });
      },
    );
  });
});
