import { Redis } from 'ioredis';

import type { ScanEvent } from '@app/contracts';
import {
  LedgerRegressedError,
  LedgerStore,
  ledgerOwnerOf,
  readShiftLedger,
  toLedgerScan,
  WatchStore,
  type LedgerScan,
} from '@app/ledger';

import { uniqueRedisUrl } from './helpers/redis';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-27T08:00:00+08:00');
const SHIFT = {
  shiftId: '2026-11-27/AM',
  startMs: Date.parse('2026-11-27T07:00:00+08:00'),
  endMs: Date.parse('2026-11-27T13:00:00+08:00'),
};
const RULES = {
  retentionMs: 8 * 24 * HOUR,
  deadlines: { receipt: { EXPRESS: 60, PARCEL: 240 }, feedback: { EXPRESS: 240 } },
  graceMs: 30 * 60_000,
};

let redis: Redis;
let store: LedgerStore;
let watch: WatchStore;
let run = 0;

beforeAll(async () => {
  redis = new Redis(await uniqueRedisUrl());
  store = new LedgerStore(redis, { ...RULES, orphanWaitMs: 30 * 60_000 });
  watch = new WatchStore(redis, { ...RULES, summaryCoalesceMs: 10_000 });
});
afterAll(async () => {
  await redis.quit();
});

/** A station of its own per test, so tests never see each other's keys. */
function station(): string {
  run += 1;
  return `T${Date.now().toString(36).toUpperCase()}-DS${run}`;
}

function handover(
  id: string,
  itemId: string,
  from: string,
  to: string,
  minutes: number,
  mailClass?: 'EXPRESS' | 'PARCEL' | 'LETTER',
): ScanEvent {
  return {
    eventId: id,
    type: 'HANDOVER',
    itemId,
    facilityId: from.split('/')[0],
    from,
    to,
    occurredAt: iso(minutes),
    ...(mailClass ? { mailClass } : {}),
  };
}
function receipt(id: string, itemId: string, from: string, to: string, minutes: number): ScanEvent {
  return {
    eventId: id,
    type: 'RECEIPT',
    itemId,
    facilityId: to.split('/')[0],
    from,
    to,
    occurredAt: iso(minutes),
  };
}
function feedback(
  id: string,
  itemId: string,
  route: string,
  minutes: number,
  outcome: 'DELIVERED' | 'LOCKER' | 'PICKUP_POINT' | 'RETURNED',
  consent?: boolean,
): ScanEvent {
  return {
    eventId: id,
    type: 'FEEDBACK',
    itemId,
    facilityId: route.split('/')[0],
    route,
    outcome,
    occurredAt: iso(minutes),
    ...(consent === undefined ? {} : { consent }),
  };
}
function iso(minutes: number): string {
  return new Date(T0 + minutes * 60_000).toISOString();
}

let offset = 0;
function scansOf(events: ScanEvent[]): { facilityId: string; scan: LedgerScan }[] {
  return events.map((e) => ({
    facilityId: ledgerOwnerOf(e),
    scan: toLedgerScan(e, offset++, Date.parse(e.occurredAt), SHIFT),
  }));
}

async function apply(events: ScanEvent[], nowMs = Date.now(), partition = 0) {
  return store.applyPartition('scans', partition, scansOf(events), nowMs);
}

describe('LedgerStore against a real Redis', () => {
  it('opens a hand-off on HANDOVER and closes it on RECEIPT', async () => {
    const ds = station();
    const results = await apply([
      handover('h1', 'EA123456785CN', 'PC01', ds, 0),
      receipt('r1', 'EA123456785CN', 'PC01', ds, 20),
    ]);
    expect(results).toEqual(['applied', 'applied']);
    const ledger = await readShiftLedger(redis, 'PC01', SHIFT.shiftId);
    const segment = ledger.bySegment.find((s) => s.to === ds);
    expect(segment).toMatchObject({ handedOut: 1, received: 1, open: 0 });
  });

  it('closes a station-to-route hand-off with the route FEEDBACK and flags an express locker delivery without consent', async () => {
    const ds = station();
    const route = `${ds}/R03`;
    await apply([
      handover('h1', 'EA123456785CN', ds, route, 0, 'EXPRESS'),
      handover('h2', 'EB000000014CN', ds, route, 1),
      handover('h3', 'CP100000003CN', ds, route, 2),
      feedback('f1', 'EA123456785CN', route, 90, 'LOCKER', false),
      feedback('f2', 'EB000000014CN', route, 95, 'PICKUP_POINT', true),
    ]);
    const ledger = await readShiftLedger(redis, ds, SHIFT.shiftId);
    expect(ledger.totals).toMatchObject({ handedOut: 3, locker: 1, pickupPoint: 1, open: 1 });
    expect(ledger.byClass.EXPRESS).toMatchObject({ handedOut: 2, open: 0 });
    expect(ledger.byClass.PARCEL).toMatchObject({ handedOut: 1, open: 1 });
    expect(ledger.openItems).toEqual([{ itemId: 'CP100000003CN', from: ds, to: route }]);
    expect(ledger.violations.unconsentedDelivery).toBe(1);
  });

  it("counts a closure after its deadline as closedLate in the hand-off's segment; one at the deadline is on time", async () => {
    const ds = station();
    const route = `${ds}/R1`;
    const [other, late] = [`${ds}X`, `${ds}Y`];
    await apply([
      handover('h1', 'EA123456785CN', 'PC01', ds, 0), // EXPRESS receipt: 60 min
      receipt('r1', 'EA123456785CN', 'PC01', ds, 60), // at the deadline: on time
      handover('h2', 'EB000000014CN', 'PC01', late, 0),
      receipt('r2', 'EB000000014CN', 'PC01', late, 61), // a minute late
      handover('h3', 'CP100000003CN', 'PC01', other, 0), // PARCEL receipt: 240 min
      receipt('r3', 'CP100000003CN', 'PC01', other, 241),
      handover('h4', 'RR000000014CN', 'PC01', other, 0), // LETTER: no deadline, never late
      receipt('r4', 'RR000000014CN', 'PC01', other, 2_000),
      handover('h5', 'EA000000014CN', ds, route, 0), // EXPRESS feedback: 240 min
      feedback('f5', 'EA000000014CN', route, 300, 'DELIVERED'),
      handover('h6', 'CP000000014CN', ds, route, 0), // PARCEL feedback: none
      feedback('f6', 'CP000000014CN', route, 3_000, 'DELIVERED'),
    ]);
    const centre = await readShiftLedger(redis, 'PC01', SHIFT.shiftId);
    const segment = (to: string) => centre.bySegment.find((s) => s.to === to);
    expect(segment(ds)).toMatchObject({ received: 1, closedLate: 0 });
    expect(segment(late)).toMatchObject({ received: 1, closedLate: 1 });
    expect(segment(other)).toMatchObject({ received: 2, closedLate: 1 });
    const atStation = await readShiftLedger(redis, ds, SHIFT.shiftId);
    expect(atStation.bySegment.find((s) => s.to === route)).toMatchObject({ delivered: 2, closedLate: 1 });
    expect(atStation.byClass.EXPRESS).toMatchObject({ closedLate: 1 });
    expect(atStation.byClass.PARCEL).toMatchObject({ closedLate: 0 });
  });

  it('counts a re-sent copy and a double scan as duplicates, once each', async () => {
    const ds = station();
    const first = handover('h1', 'EA123456785CN', 'PC01', ds, 0);
    await apply([first, { ...first }, handover('h2', 'EA123456785CN', 'PC01', ds, 3)]);
    const ledger = await readShiftLedger(redis, 'PC01', SHIFT.shiftId);
    expect(ledger.bySegment.find((s) => s.to === ds)).toMatchObject({ handedOut: 1, open: 1, duplicates: 2 });
  });

  it('skips offsets it has applied already, whatever the consumer re-sends', async () => {
    const ds = station();
    const scans = scansOf([
      handover('h1', 'EA123456785CN', 'PC01', ds, 0),
      receipt('r1', 'EA123456785CN', 'PC01', ds, 5),
    ]);
    await store.applyPartition('scans', 7, scans, Date.now());
    const again = await store.applyPartition('scans', 7, scans, Date.now());
    expect(again).toEqual(['skipped', 'skipped']);
    const ledger = await readShiftLedger(redis, 'PC01', SHIFT.shiftId);
    expect(ledger.bySegment.find((s) => s.to === ds)).toMatchObject({
      handedOut: 1,
      received: 1,
      duplicates: 0,
    });
  });

  it('refuses to apply when Redis has lost writes it acknowledged', async () => {
    const ds = station();
    await apply([handover('h1', 'EA123456785CN', ds, `${ds}/R1`, 0)], Date.now(), 3);
    await redis.hdel(`hbm:{${ds}}:wm`, 'scans:3'); // what a Redis restart without its last writes looks like
    await expect(
      apply([handover('h2', 'EB000000014CN', ds, `${ds}/R1`, 1)], Date.now(), 3),
    ).rejects.toBeInstanceOf(LedgerRegressedError);
    store.forgetAcknowledged();
    await expect(apply([handover('h2', 'EB000000014CN', ds, `${ds}/R1`, 1)], Date.now(), 3)).resolves.toEqual(
      ['applied'],
    );
  });

  it('holds a closure that comes before its hand-off, counts it an orphan after the wait, and un-counts it when the hand-off arrives', async () => {
    const ds = station();
    const now = Date.now();
    expect(await apply([receipt('r1', 'EA123456785CN', 'PC01', ds, 30)], now)).toEqual(['orphan']);
    let ledger = await readShiftLedger(redis, 'PC01', SHIFT.shiftId);
    expect(ledger.bySegment.find((s) => s.to === ds)?.orphans ?? 0).toBe(0);

    await watch.tick('PC01', now + 29 * 60_000);
    ledger = await readShiftLedger(redis, 'PC01', SHIFT.shiftId);
    expect(ledger.bySegment.find((s) => s.to === ds)?.orphans ?? 0).toBe(0);
    await watch.tick('PC01', now + 31 * 60_000);
    ledger = await readShiftLedger(redis, 'PC01', SHIFT.shiftId);
    expect(ledger.bySegment.find((s) => s.to === ds)).toMatchObject({ orphans: 1, received: 0 });
    expect(ledger.orphanItems).toContainEqual({ itemId: 'EA123456785CN', from: 'PC01', to: ds });

    await apply([handover('h1', 'EA123456785CN', 'PC01', ds, 0)]);
    ledger = await readShiftLedger(redis, 'PC01', SHIFT.shiftId);
    expect(ledger.bySegment.find((s) => s.to === ds)).toMatchObject({
      handedOut: 1,
      received: 1,
      orphans: 0,
      open: 0,
    });
    expect(ledger.orphanItems.filter((i) => i.to === ds)).toEqual([]);
  });

  it('reads the same ledger whatever order the scans of a hand-off arrive in', async () => {
    // an item handed to a route, returned, handed again and delivered, with a double scan and a re-sent copy
    const history = (route: string, ds: string): ScanEvent[] => [
      handover('h1', 'EA123456785CN', ds, route, 0, 'EXPRESS'),
      handover('h1-double', 'EA123456785CN', ds, route, 2, 'EXPRESS'),
      feedback('f1', 'EA123456785CN', route, 60, 'RETURNED'),
      handover('h2', 'EA123456785CN', ds, route, 120, 'EXPRESS'),
      // after the 240-minute feedback deadline of h2: closedLate, whichever path reads it
      feedback('f2', 'EA123456785CN', route, 400, 'DELIVERED'),
      feedback('f2', 'EA123456785CN', route, 400, 'DELIVERED'),
    ];
    const ledgers: unknown[] = [];
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 80; i++) {
      const ds = station();
      const events = history(`${ds}/R1`, ds);
      for (let j = events.length - 1; j > 0; j--) {
        const k = Math.floor(random() * (j + 1));
        [events[j], events[k]] = [events[k], events[j]];
      }
      // half in one script call, half split into calls at random points: the script's fast paths (a
      // first HANDOVER, a closure in order) and its general reading must agree wherever a call ends
      if (i % 2 === 0) await apply(events);
      else {
        for (let from = 0; from < events.length;) {
          const size = 1 + Math.floor(random() * 3);
          await apply(events.slice(from, from + size));
          from += size;
        }
      }
      const { totals, violations, openItems, orphanItems } = await readShiftLedger(redis, ds, SHIFT.shiftId);
      ledgers.push({ totals, violations, open: openItems.length, orphans: orphanItems.length });
    }
    expect(ledgers[0]).toEqual({
      totals: {
        handedOut: 2,
        received: 0,
        delivered: 1,
        locker: 0,
        pickupPoint: 0,
        returned: 1,
        open: 0,
        orphans: 0,
        duplicates: 2,
        closedLate: 1,
      },
      violations: { unconsentedDelivery: 0 },
      open: 0,
      orphans: 0,
    });
    for (const ledger of ledgers) expect(ledger).toEqual(ledgers[0]);
  });

  it('reads a history stored as JSON by an earlier version, and writes it back in the compact form', async () => {
    const ds = station();
    const item = 'EA123456785CN';
    await apply([handover('h1', item, 'PC01', ds, 0, 'EXPRESS')]);
    const key = `hbm:{PC01}:ho:${item}|PC01|${ds}`;
    const t = T0;
    // what applyScans wrote before histories were MessagePack: an array of JSON objects
    await redis.set(
      key,
      JSON.stringify([
        {
          k: 'H',
          t,
          id: 'h1',
          s: SHIFT.shiftId,
          ss: SHIFT.startMs,
          se: SHIFT.endMs,
          c: 'EXPRESS',
          f: 'PC01',
        },
      ]),
      'PX',
      RULES.retentionMs,
    );
    expect(await apply([receipt('r1', item, 'PC01', ds, 20), handover('h1', item, 'PC01', ds, 0)])).toEqual([
      'applied',
      'duplicate',
    ]);
    const ledger = await readShiftLedger(redis, 'PC01', SHIFT.shiftId);
    expect(ledger.bySegment.find((s) => s.to === ds)).toMatchObject({
      handedOut: 1,
      received: 1,
      open: 0,
      duplicates: 1,
    });
    const stored = await redis.getBuffer(key);
    expect(stored?.[0]).toBe(0x92); // a MessagePack array of two entries
  });
});
