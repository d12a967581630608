import fc from 'fast-check';
import { Redis } from 'ioredis';

import { parseScanMessage, type DeadLetterReason } from '@app/contracts';
import {
  LedgerStore,
  ledgerOwnerOf,
  listShifts,
  readShiftLedger,
  toLedgerScan,
  type LedgerScan,
  type ScanResult,
} from '@app/ledger';

import {
  consumeAll,
  createTopic,
  produceLines,
  produceSteadily,
  randomName,
  testBrokers,
} from './helpers/kafka';
import { freePorts } from '../deploy/local/ports';
import {
  facilityTotals,
  groupProgress,
  LedgerProcess,
  waitUntilConsumed,
  waitUntilReady,
  waitWhileRunning,
} from './helpers/ledger-process';
import { startTestRedis, uniqueRedisUrl } from './helpers/redis';
import { itemNumber, makeScenario, type Scenario } from './helpers/scenario';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

jest.setTimeout(300_000);

const HOUR = 3_600_000;
const NOW = Date.now();
const LIMITS = { maxEventBytes: 65_536, maxClockSkewMs: 300_000, dedupDays: 7 };
const SHIFT = { shiftId: '2026-11-27/AM', startMs: NOW - 6 * HOUR, endMs: NOW + 6 * HOUR };
const RULES = {
  orphanWaitMs: 30 * 60_000,
  retentionMs: 8 * 24 * HOUR,
  deadlines: { receipt: { EXPRESS: 60, PARCEL: 240 }, feedback: { EXPRESS: 240 } },
  graceMs: 30 * 60_000,
};

let redisUrl: string;
let redis: Redis;
let run = 0;
beforeAll(async () => {
  redisUrl = await uniqueRedisUrl();
  redis = new Redis(redisUrl);
});
afterAll(async () => {
  await redis.quit();
});

/** A station of its own per case, so that cases never share keys. */
function station(): string {
  run += 1;
  return `H${NOW.toString(36).toUpperCase()}-DS${run}`;
}

/** Text that is valid JSON but hostile: every escape JSON has, controls, astral characters, lone surrogates. */
const hostileText = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength }),
    fc.string({
      unit: fc.constantFrom(
        '\u0000',
        '\u001f',
        '\u007f',
        '\u2028',
        '\u2029',
        '"',
        '\\',
        '/',
        '\ud83d\ude00',
        '\u{10ffff}',
        '\ud800',
        '\udfff',
        'é',
        '中',
        '\ufeff',
        '%',
        '|',
        '\t',
      ),
      minLength: 1,
      maxLength,
    }),
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'x'.repeat(128), '😀'.repeat(64)),
  );

interface Generated {
  kind: 'HANDOVER' | 'RECEIPT' | 'FEEDBACK';
  item: number;
  eventId: string;
  operatorId: string | null;
  minutes: number;
  /** how the JSON text spells the event */
  spelling: 'plain' | 'escaped' | 'duplicate-keys' | 'proto';
}

const generated = fc.record({
  kind: fc.constantFrom('HANDOVER' as const, 'RECEIPT' as const, 'FEEDBACK' as const),
  item: fc.integer({ min: 0, max: 5 }),
  eventId: hostileText(130),
  operatorId: fc.option(hostileText(64)),
  minutes: fc.integer({ min: -300, max: 0 }),
  spelling: fc.constantFrom(
    'plain' as const,
    'escaped' as const,
    'duplicate-keys' as const,
    'proto' as const,
  ),
});

/** Every character as a \uXXXX escape: the same JSON value, spelled as a hostile producer might. */
function escapeAll(json: string): string {
  return json.replace(/"((?:[^"\\]|\\.)*)"/g, (_, body: string) => {
    const value = JSON.parse(`"${body}"`) as string;
    let out = '';
    for (let i = 0; i < value.length; i++) out += `\\u${value.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return `"${out}"`;
  });
}

function messageOf(g: Generated, ds: string): string {
  const route = `${ds}/R1`;
  const itemId = itemNumber('EA', 10_000 + g.item);
  const base = {
    eventId: g.eventId,
    itemId,
    occurredAt: new Date(NOW + g.minutes * 60_000).toISOString(),
    ...(g.operatorId === null ? {} : { operatorId: g.operatorId }),
  };
  const event =
    g.kind === 'HANDOVER'
      ? { ...base, type: g.kind, facilityId: ds, from: ds, to: route }
      : g.kind === 'RECEIPT'
        ? { ...base, type: g.kind, facilityId: ds, from: `${ds}-PC`, to: ds }
        : { ...base, type: g.kind, facilityId: ds, route, outcome: 'LOCKER', consent: false };
  const json = JSON.stringify(event);
  switch (g.spelling) {
    case 'plain':
      return json;
    case 'escaped':
      return escapeAll(json);
    case 'duplicate-keys':
      // JSON.parse keeps the last of repeated keys; the first is a decoy
      return `{"eventId":${JSON.stringify(`decoy-${g.eventId}`)},"type":"NOPE",${json.slice(1)}`;
    case 'proto':
      return `{"__proto__":{"type":"RECEIPT","polluted":true},"constructor":{"prototype":{}},${json.slice(1)}`;
  }
}

function scansOf(
  messages: string[],
  firstOffset: number,
): { scans: { facilityId: string; scan: LedgerScan }[]; rejected: number } {
  const scans: { facilityId: string; scan: LedgerScan }[] = [];
  let rejected = 0;
  messages.forEach((text, i) => {
    const parsed = parseScanMessage(Buffer.from(text), LIMITS, NOW);
    if (!parsed.ok) {
      rejected++;
      return;
    }
    scans.push({
      facilityId: ledgerOwnerOf(parsed.event),
      scan: toLedgerScan(parsed.event, firstOffset + i, parsed.occurredAtMs, SHIFT),
    });
  });
  return { scans, rejected };
}

const isRefused = (r: ScanResult): r is { refused: string } => typeof r === 'object';

describe('hostile but valid scans through the real ledger scripts on a real Redis', () => {
  it('applies each generated scan or dead-letters it, keeps hostile ids equal through Redis, and applies a normal scan after them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(generated, { minLength: 1, maxLength: 25 }), async (events) => {
        const ds = station();
        const store = new LedgerStore(redis, RULES);
        const messages = events.map((g) => messageOf(g, ds));
        const sentinel = JSON.stringify({
          eventId: 'sentinel',
          type: 'HANDOVER',
          itemId: 'EB000000014CN',
          facilityId: ds,
          from: ds,
          to: `${ds}/R9`,
          occurredAt: new Date(NOW - 60_000).toISOString(),
        });
        const { scans, rejected } = scansOf([...messages, sentinel], 0);
        // every scan sent once more later (a producer's re-send): the same id must be found in Redis
        const resent = scans.map(({ facilityId, scan }, i) => ({
          facilityId,
          scan: { ...scan, o: messages.length + 1 + i },
        }));
        const results = await store.applyPartition('hostile', 0, [...scans, ...resent], NOW);

        expect(scans.length + rejected).toBe(messages.length + 1);
        const first = results.slice(0, scans.length);
        const again = results.slice(scans.length);
        expect(first.filter(isRefused)).toEqual([]);
        for (const r of first) expect(['applied', 'duplicate', 'orphan']).toContain(r);
        expect(first[first.length - 1]).toBe('applied');
        expect(new Set(again)).toEqual(new Set(['duplicate']));
        const ledger = await readShiftLedger(redis, ds, SHIFT.shiftId);
        expect(ledger.openItems.map((o) => o.itemId)).toContain('EB000000014CN');
      }),
      { numRuns: 60, seed: 20261204 },
    );
  });

  it('refuses a scan Redis cannot decode, applies its neighbours, and refuses it alike when it is read again', async () => {
    const ds = station();
    const base = {
      k: 'H' as const,
      f: ds,
      to: `${ds}/R1`,
      t: NOW - HOUR,
      s: SHIFT.shiftId,
      ss: SHIFT.startMs,
      se: SHIFT.endMs,
      c: 'EXPRESS' as const,
    };
    const scan = (o: number, item: string, id: string): { facilityId: string; scan: LedgerScan } => ({
      facilityId: ds,
      scan: { ...base, o, item, key: `${item}|>|${ds}/R1`, id },
    });
    // a lone surrogate: what the parser now refuses, handed to the store directly
    const scans = [
      scan(10, 'EA000000015CN', 'a'),
      scan(11, 'EB000000014CN', '\ud800'),
      scan(12, 'CP100000003CN', 'c'),
    ];
    const first = await new LedgerStore(redis, RULES).applyPartition('hostile', 1, scans, NOW);
    expect(first[0]).toBe('applied');
    expect(first[2]).toBe('applied');
    expect(isRefused(first[1]) && first[1].refused).toMatch(/Redis refused the scan: UNPROCESSABLE .*JSON/);

    // a restarted consumer (nothing seen) reads the same offsets again
    const again = await new LedgerStore(redis, RULES).applyPartition('hostile', 1, scans, NOW);
    expect(again).toEqual(['skipped', first[1], 'skipped']);
    const ledger = await readShiftLedger(redis, ds, SHIFT.shiftId);
    expect(ledger.totals).toMatchObject({ handedOut: 2, open: 2 });
  });

  it('refuses distinct double scans past the limit of one hand-off, yet closes it', async () => {
    const ds = station();
    const item = 'EA000000014CN';
    const at = (minutes: number) => new Date(NOW - HOUR + minutes * 1000).toISOString();
    const messages = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({
        eventId: `flood-${i}`,
        type: 'HANDOVER',
        itemId: item,
        facilityId: ds,
        from: ds,
        to: `${ds}/R1`,
        occurredAt: at(i),
      }),
    );
    messages.push(
      JSON.stringify({
        eventId: 'delivered',
        type: 'FEEDBACK',
        itemId: item,
        facilityId: ds,
        route: `${ds}/R1`,
        outcome: 'DELIVERED',
        occurredAt: at(100),
      }),
    );
    const { scans } = scansOf(messages, 0);
    const results = await new LedgerStore(redis, RULES).applyPartition('hostile', 2, scans, NOW);
    expect(results.slice(0, 32)).toEqual(['applied', ...Array(31).fill('duplicate')]);
    expect(results.slice(32, 40).map((r) => isRefused(r) && r.refused)).toEqual(
      Array(8).fill(expect.stringContaining('already holds 32 distinct HANDOVER scans')),
    );
    expect(results[40]).toBe('applied');
    const ledger = await readShiftLedger(redis, ds, SHIFT.shiftId);
    expect(ledger.totals).toMatchObject({ handedOut: 1, delivered: 1, open: 0, duplicates: 31 });
  });
});

// ---------------------------------------------------------------------------------------------
// The consumer, on a real Kafka: bad input of every reason, kill -9, a Redis that refuses writes.

const BAD: [DeadLetterReason, (i: number, ds: string) => string | Buffer][] = [
  ['INVALID_JSON', (i) => `{"eventId":"bad-${i}",`],
  ['SCHEMA', (i, ds) => JSON.stringify({ ...floodHandover(ds, i), eventId: `lone-\ud800-${i}` })],
  ['BAD_ITEM_ID', (i, ds) => JSON.stringify({ ...floodHandover(ds, i), itemId: 'EA000000015CN' })],
  ['OVERSIZE', () => Buffer.alloc(70_000, 'x')],
  ['TOO_LATE', (i, ds) => JSON.stringify({ ...floodHandover(ds, i), occurredAt: '2020-01-01T00:00:00Z' })],
];

/** A distinct double scan of one item's hand-off: past the 32nd, the store refuses them (UNPROCESSABLE). */
function floodHandover(ds: string, i: number) {
  return {
    eventId: `flood-${i}`,
    type: 'HANDOVER',
    itemId: 'EA000000014CN',
    facilityId: ds,
    from: ds,
    to: `${ds}/R1`,
    occurredAt: new Date(NOW - HOUR + i * 1000).toISOString(),
  };
}

/** The scenario's messages with bad ones mixed in, every `every`th, and a flood of `flood` double scans. */
function withBadInput(scenario: Scenario, ds: string, every: number, flood: number) {
  const messages: { key: string; value: string | Buffer }[] = [];
  const expected: Record<string, number> = {};
  let bad = 0;
  scenario.messages.forEach((m, i) => {
    messages.push(m);
    if (i % every === every - 1) {
      const [reason, make] = BAD[bad % BAD.length];
      messages.push({ key: ds, value: make(bad, ds) });
      expected[reason] = (expected[reason] ?? 0) + 1;
      bad++;
    }
    if (i % 97 === 0 && i / 97 < flood) {
      messages.push({ key: ds, value: JSON.stringify(floodHandover(ds, i / 97)) });
    }
  });
  expected.UNPROCESSABLE = Math.max(0, flood - 32);
  return { messages, expected };
}

async function deadLettersByReason(topic: string): Promise<Record<string, number>> {
  const letters = await consumeAll(testBrokers(), `${topic}.dlq`);
  const out: Record<string, number> = {};
  for (const l of letters) out[l.headers['x-dlq-reason']] = (out[l.headers['x-dlq-reason']] ?? 0) + 1;
  return out;
}

describe('the ledger consumer on hostile input', () => {
  it('dead-letters every bad message exactly once by reason, UNPROCESSABLE included, through kill -9 twice', async () => {
    const scenario = makeScenario({
      seed: 11,
      items: 4_000,
      prefix: `HK${run}`,
      resent: 0.03,
      doubleScans: 0.02,
    });
    const ds = station();
    const { messages, expected } = withBadInput(scenario, ds, 40, 45);
    // generated hostile-but-valid scans of a station of their own, mixed in; what parsing refuses of them
    // is known here, the rest must be applied, and a normal scan after them too
    const hostile = station();
    const generatedMessages = fc
      .sample(generated, { numRuns: 300, seed: 4 })
      .map((g) => messageOf(g, hostile));
    for (const text of generatedMessages) {
      const parsed = parseScanMessage(Buffer.from(text), LIMITS, Date.now());
      if (!parsed.ok) expected[parsed.reason] = (expected[parsed.reason] ?? 0) + 1;
    }
    generatedMessages.forEach((value, i) => messages.splice(i * 30, 0, { key: hostile, value }));
    messages.push({
      key: hostile,
      value: JSON.stringify({ ...floodHandover(hostile, 0), eventId: 'sentinel', itemId: 'EB000000014CN' }),
    });
    const topic = randomName('scans');
    const group = randomName('ledger');
    await createTopic(testBrokers(), topic, 3);
    const [metricsPort] = await freePorts(1);
    const env = {
      KAFKA_BROKERS: testBrokers(),
      REDIS_URL: redisUrl,
      SCAN_TOPIC: topic,
      LEDGER_GROUP_ID: group,
      LEDGER_METRICS_PORT: String(metricsPort),
    };

    const producing = produceSteadily(testBrokers(), topic, messages, 2_000);
    let ledger = new LedgerProcess(env);
    for (const share of [0.3, 0.7]) {
      const current = ledger;
      await waitWhileRunning(
        current,
        async () => (await groupProgress(testBrokers(), group, topic)).committed >= share * messages.length,
        { what: `${share * 100}% committed`, timeoutMs: 180_000, intervalMs: 100 },
      );
      current.kill('SIGKILL');
      expect(await current.exited).toMatchObject({ signal: 'SIGKILL' });
      ledger = new LedgerProcess(env);
    }
    await producing;
    await waitUntilConsumed(testBrokers(), group, topic, ledger, 300_000);
    // the last one may have nothing left to do: stop it once it runs, not while it starts
    await waitUntilReady(ledger, metricsPort);
    ledger.kill('SIGTERM');
    expect(await ledger.exited).toEqual({ code: 0, signal: null });

    const letters = await deadLettersByReason(topic);
    console.log(`dead letters by reason after two SIGKILLs: ${JSON.stringify(letters)}`);
    expect(letters).toEqual(expected);
    for (const facility of scenario.facilities) {
      expect({ facility, ...(await facilityTotals(redis, facility)) }).toEqual({
        facility,
        ...scenario.expected.get(facility),
      });
    }
    expect(await facilityTotals(redis, ds)).toMatchObject({ handedOut: 1, duplicates: 31, open: 1 });
    const sentinel = await facilityTotals(redis, hostile);
    expect(sentinel.handedOut).toBeGreaterThanOrEqual(1);
    const shifts = await Promise.all(
      (await listShifts(redis, hostile)).map((shiftId) => readShiftLedger(redis, hostile, shiftId)),
    );
    expect(shifts.flatMap((l) => l.openItems.map((o) => o.itemId))).toContain('EB000000014CN');
  });

  it('dead-letters a message the dead-letter topic refuses whole with its value cut, and goes on', async () => {
    const topic = randomName('scans');
    const group = randomName('ledger');
    await createTopic(testBrokers(), topic, 1, { 'max.message.bytes': '2000000' });
    await createTopic(testBrokers(), `${topic}.dlq`, 1, { 'max.message.bytes': '100000' });
    const ds = station();
    await produceLines(testBrokers(), topic, [
      Buffer.alloc(300_000, 'x'),
      JSON.stringify({ ...floodHandover(ds, 0), eventId: 'after-the-big-one', itemId: 'EB000000014CN' }),
    ]);
    const ledger = new LedgerProcess({
      KAFKA_BROKERS: testBrokers(),
      REDIS_URL: redisUrl,
      SCAN_TOPIC: topic,
      LEDGER_GROUP_ID: group,
    });
    await waitUntilConsumed(testBrokers(), group, topic, ledger, 120_000);
    ledger.kill('SIGTERM');
    expect(await ledger.exited).toEqual({ code: 0, signal: null });
    const [letter, ...more] = await consumeAll(testBrokers(), `${topic}.dlq`);
    expect(more).toEqual([]);
    expect(letter.headers).toMatchObject({ 'x-dlq-reason': 'OVERSIZE', 'x-dlq-truncated': '300000' });
    expect(letter.valueBuffer?.length).toBe(64 * 1024);
    expect(await facilityTotals(redis, ds)).toMatchObject({ handedOut: 1, open: 1 });
  });

  it('retries at a bounded, backed-off rate while Redis refuses writes, then applies everything', async () => {
    const own = await startTestRedis();
    const ownRedis = new Redis(own.url);
    try {
      const scenario = makeScenario({ seed: 12, items: 300, prefix: `HR${run}` });
      const topic = randomName('scans');
      const group = randomName('ledger');
      await createTopic(testBrokers(), topic, 2);
      await produceLines(
        testBrokers(),
        topic,
        scenario.messages.map((m) => m.value),
        (_, i) => scenario.messages[i].key,
      );
      // every write is refused with OOM: Redis says "not now", which is not bad input
      await ownRedis.config('SET', 'maxmemory-policy', 'noeviction');
      await ownRedis.config('SET', 'maxmemory', '1');
      const [metricsPort] = await freePorts(1);
      const ledger = new LedgerProcess({
        KAFKA_BROKERS: testBrokers(),
        REDIS_URL: own.url,
        SCAN_TOPIC: topic,
        LEDGER_GROUP_ID: group,
        LEDGER_METRICS_PORT: String(metricsPort),
      });
      const retries = async () => {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        return Number(/handover_ledger_retries_total\{step="apply"\} (\d+)/.exec(text)?.[1] ?? NaN);
      };
      // until it listens, the fetch throws: not yet
      await waitWhileRunning(ledger, async () => (await retries()) >= 1, {
        what: 'a first refused apply',
        timeoutMs: 90_000,
      });
      const linesBefore = ledger.output.filter((l) => l.includes('"cause":"apply"')).length;
      const before = await retries();
      await sleep(20_000);
      const during = (await retries()) - before;
      const lines = ledger.output.filter((l) => l.includes('"cause":"apply"')).length - linesBefore;
      console.log(`while Redis refused writes: ${during} apply tries and ${lines} log lines in 20 s`);
      // doubling from 200 ms to 10 s, jittered: about 8 tries in 20 s (it was ~270 a second)
      expect(during).toBeGreaterThanOrEqual(2);
      expect(during).toBeLessThanOrEqual(20);
      expect(lines).toBeLessThanOrEqual(3);
      expect(await ownRedis.dbsize()).toBe(0);

      await ownRedis.config('SET', 'maxmemory', '0');
      await waitUntilConsumed(testBrokers(), group, topic, ledger, 120_000);
      ledger.kill('SIGTERM');
      expect(await ledger.exited).toEqual({ code: 0, signal: null });
      for (const facility of scenario.facilities) {
        expect({ facility, ...(await facilityTotals(ownRedis, facility)) }).toEqual({
          facility,
          ...scenario.expected.get(facility),
        });
      }
    } finally {
      await ownRedis.quit();
      await own.dispose();
    }
  });
});
