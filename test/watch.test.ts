import { Redis } from 'ioredis';

import { Alert, ShiftSummary, type ScanEvent } from '@app/contracts';
import { readShiftLedger } from '@app/ledger';

import { itemNumber } from './helpers/scenario';
import { System } from './helpers/system';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
let seq = 0;
const id = () => `w-${Date.now().toString(36)}-${seq++}`;

function handover(itemId: string, from: string, to: string, at: number, mailClass?: string): ScanEvent {
  return {
    eventId: id(),
    type: 'HANDOVER',
    itemId,
    facilityId: from.split('/')[0],
    from,
    to,
    occurredAt: iso(at),
    ...(mailClass ? { mailClass } : {}),
  } as ScanEvent;
}
function receipt(itemId: string, from: string, to: string, at: number): ScanEvent {
  return {
    eventId: id(),
    type: 'RECEIPT',
    itemId,
    facilityId: to.split('/')[0],
    from,
    to,
    occurredAt: iso(at),
  };
}
function feedback(
  itemId: string,
  route: string,
  at: number,
  outcome: 'DELIVERED' | 'LOCKER',
  consent?: boolean,
): ScanEvent {
  return {
    eventId: id(),
    type: 'FEEDBACK',
    itemId,
    facilityId: route.split('/')[0],
    route,
    outcome,
    occurredAt: iso(at),
    ...(consent === undefined ? {} : { consent }),
  };
}

describe('the watch, against a real Kafka and Redis', () => {
  const system = new System();
  beforeAll(() => system.start());
  afterAll(() => system.stop());

  it('raises RECEIPT_OVERDUE for an express item past its 60-minute receipt deadline, and resolves it when the receipt arrives', async () => {
    const [pc, ds] = ['W1-PC01', 'W1-DS01'];
    const express = itemNumber('EA', 11);
    const now = Date.now();
    await system.send([
      handover(express, pc, ds, now - 61 * MIN),
      handover(itemNumber('CP', 12), pc, ds, now - 61 * MIN),
    ]);
    const fired = system.alertOf(
      await system.alerts.waitFor<Alert>(
        'RECEIPT_OVERDUE firing',
        (v) => !!system.alertOf(v, 'RECEIPT_OVERDUE', pc, 'FIRING'),
      ),
      'RECEIPT_OVERDUE',
      pc,
    ) as Alert;
    expect(Alert.parse(fired)).toMatchObject({
      status: 'FIRING',
      severity: 'critical',
      from: pc,
      to: ds,
      itemCount: 1,
      items: [express],
      revision: 1,
      endsAt: null,
    });
    expect(fired.text).toBe(`1 express item handed to ${ds} has no receipt after 60 min`);

    await system.send([receipt(express, pc, ds, Date.now())]);
    const values = await system.alerts.waitFor<Alert>(
      'RECEIPT_OVERDUE resolved',
      (v) => !!system.alertOf(v, 'RECEIPT_OVERDUE', pc, 'RESOLVED'),
    );
    const resolved = system.alertOf(values, 'RECEIPT_OVERDUE', pc, 'RESOLVED') as Alert;
    expect(Alert.parse(resolved)).toMatchObject({
      alertId: fired.alertId,
      revision: 2,
      itemCount: 0,
      items: [],
    });
    expect(resolved.endsAt).not.toBeNull();
  });

  it('gathers the express items of one route in one FEEDBACK_OVERDUE alert, a revision per change', async () => {
    const ds = 'W2-DS07';
    const route = `${ds}/R03`;
    const [a, b] = [itemNumber('EA', 21), itemNumber('EB', 22)];
    const now = Date.now();
    await system.send([handover(a, ds, route, now - 241 * MIN), handover(b, ds, route, now - 241 * MIN)]);
    let values = await system.alerts.waitFor<Alert>(
      'FEEDBACK_OVERDUE with 2 items',
      (v) => system.alertOf(v, 'FEEDBACK_OVERDUE', ds)?.itemCount === 2,
    );
    const first = system.alertOf(values, 'FEEDBACK_OVERDUE', ds) as Alert;
    expect(first).toMatchObject({ severity: 'critical', to: route, items: [a, b].sort() });
    expect(first.text).toBe(`2 express items handed to ${route} have no delivery feedback after 240 min`);

    await system.send([feedback(a, route, Date.now(), 'DELIVERED')]);
    values = await system.alerts.waitFor<Alert>(
      'FEEDBACK_OVERDUE down to 1 item',
      (v) => system.alertOf(v, 'FEEDBACK_OVERDUE', ds)?.itemCount === 1,
    );
    expect(system.alertOf(values, 'FEEDBACK_OVERDUE', ds)).toMatchObject({
      alertId: first.alertId,
      revision: first.revision + 1,
      items: [b],
      status: 'FIRING',
    });

    await system.send([feedback(b, route, Date.now(), 'DELIVERED')]);
    values = await system.alerts.waitFor<Alert>(
      'FEEDBACK_OVERDUE resolved',
      (v) => !!system.alertOf(v, 'FEEDBACK_OVERDUE', ds, 'RESOLVED'),
    );
    expect(system.alertOf(values, 'FEEDBACK_OVERDUE', ds)).toMatchObject({
      revision: first.revision + 2,
      status: 'RESOLVED',
    });
  });

  it('raises ORPHAN_CLOSURE for a receipt without its hand-off, and resolves it when the hand-off arrives late', async () => {
    const [pc, ds] = ['W3-PC01', 'W3-DS01'];
    const item = itemNumber('RR', 31);
    const now = Date.now();
    await system.send([receipt(item, pc, ds, now - 5 * MIN)]);
    let values = await system.alerts.waitFor<Alert>(
      'ORPHAN_CLOSURE firing',
      (v) => !!system.alertOf(v, 'ORPHAN_CLOSURE', pc, 'FIRING'),
    );
    expect(system.alertOf(values, 'ORPHAN_CLOSURE', pc)).toMatchObject({
      severity: 'warning',
      from: pc,
      to: ds,
      items: [item],
      revision: 1,
    });

    await system.send([handover(item, pc, ds, now - 20 * MIN)]);
    values = await system.alerts.waitFor<Alert>(
      'ORPHAN_CLOSURE resolved',
      (v) => !!system.alertOf(v, 'ORPHAN_CLOSURE', pc, 'RESOLVED'),
    );
    expect(system.alertOf(values, 'ORPHAN_CLOSURE', pc)).toMatchObject({ revision: 2, itemCount: 0 });
  });

  it('raises UNCONSENTED_DELIVERY for an express item put in a locker without consent', async () => {
    const ds = 'W4-DS01';
    const route = `${ds}/R1`;
    const [item, consented] = [itemNumber('EA', 41), itemNumber('EA', 42)];
    const now = Date.now();
    await system.send([
      handover(item, ds, route, now - 30 * MIN),
      handover(consented, ds, route, now - 30 * MIN),
      feedback(item, route, now - 5 * MIN, 'LOCKER', false),
      feedback(consented, route, now - 5 * MIN, 'LOCKER', true),
    ]);
    const values = await system.alerts.waitFor<Alert>(
      'UNCONSENTED_DELIVERY',
      (v) => !!system.alertOf(v, 'UNCONSENTED_DELIVERY', ds),
    );
    expect(Alert.parse(system.alertOf(values, 'UNCONSENTED_DELIVERY', ds))).toMatchObject({
      status: 'FIRING',
      severity: 'critical',
      to: route,
      items: [item],
      itemCount: 1,
    });
  });

  it('summarises a shift that closed unbalanced, raises SHIFT_UNBALANCED, and publishes revision 2 when a late record balances it', async () => {
    const [pc, ds] = ['W5-PC01', 'W5-DS01'];
    const [a, b] = [itemNumber('EA', 51), itemNumber('CP', 52)];
    const long = Date.now() - 20 * 60 * MIN; // a shift that closed hours ago
    await system.send([
      handover(a, pc, ds, long),
      handover(b, pc, ds, long + MIN),
      receipt(b, pc, ds, long + 20 * MIN),
    ]);
    let summaries = await system.summaries.waitFor<ShiftSummary>('a summary of W5-PC01', (v) =>
      v.some((s) => s.facilityId === pc),
    );
    const first = ShiftSummary.parse(summaries.find((s) => s.facilityId === pc));
    expect(first).toMatchObject({ revision: 1, balanced: false, openItems: [a], orphanItems: [] });
    expect(first.totals).toMatchObject({ handedOut: 2, received: 1, open: 1 });
    expect(first.byClass.EXPRESS).toMatchObject({ handedOut: 1, open: 1 });
    expect(first.bySegment).toEqual([
      expect.objectContaining({ to: ds, handedOut: 2, received: 1, open: 1 }),
    ]);
    let alerts = await system.alerts.waitFor<Alert>(
      'SHIFT_UNBALANCED',
      (v) => !!system.alertOf(v, 'SHIFT_UNBALANCED', pc, 'FIRING'),
    );
    expect(system.alertOf(alerts, 'SHIFT_UNBALANCED', pc)).toMatchObject({
      severity: 'critical',
      shiftId: first.shiftId,
      to: null,
      itemCount: 1,
      items: [a],
    });

    await system.send([receipt(a, pc, ds, long + 30 * MIN)]);
    summaries = await system.summaries.waitFor<ShiftSummary>('revision 2', (v) =>
      v.some((s) => s.facilityId === pc && s.revision === 2),
    );
    expect(summaries.find((s) => s.facilityId === pc && s.revision === 2)).toMatchObject({
      balanced: true,
      totals: { handedOut: 2, received: 2, open: 0 },
      openItems: [],
    });
    alerts = await system.alerts.waitFor<Alert>(
      'SHIFT_UNBALANCED resolved',
      (v) => !!system.alertOf(v, 'SHIFT_UNBALANCED', pc, 'RESOLVED'),
    );
    const ledger = await withRedis(system.redisUrl, (r) => readShiftLedger(r, pc, first.shiftId));
    expect(ledger.totals).toMatchObject({ open: 0, received: 2 });
  });

  it('has put every alert and summary revision on its topic exactly once', () => {
    const pairs = [
      ...system.alerts.values<Alert>().map((a) => `${a.alertId}#${a.revision}`),
      ...system.summaries.values<ShiftSummary>().map((s) => `${s.facilityId}|${s.shiftId}#${s.revision}`),
    ];
    expect(pairs.length).toBeGreaterThan(10);
    expect(new Set(pairs).size).toBe(pairs.length);
  });
});

async function withRedis<T>(url: string, body: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url);
  try {
    return await body(redis);
  } finally {
    redis.disconnect();
  }
}

describe('two watch instances', () => {
  const system = new System();
  beforeAll(async () => {
    await system.start(2);
    // the waves below are timed against running services: on a slow machine a watch that starts after
    // the receipts were applied never sees an overdue hand-off, and the test would wait for no alert
    await system.ready();
  });
  afterAll(() => system.stop());

  it('put every alert revision on the topic exactly once, and lose none when one is killed mid-run', async () => {
    const facilities = Array.from({ length: 24 }, (_, i) => [`T${i}-PC01`, `T${i}-DS01`] as const);
    const old = Date.now() - 3 * 60 * MIN;
    const waves = 6;
    for (let wave = 0; wave < waves; wave++) {
      // each wave: new overdue hand-offs, and receipts for the previous wave's
      const events: ScanEvent[] = [];
      facilities.forEach(([pc, ds], f) => {
        if (wave < 5) events.push(handover(itemNumber('EA', 800_000 + f * 10 + wave), pc, ds, old));
        if (wave > 0)
          events.push(receipt(itemNumber('EA', 800_000 + f * 10 + wave - 1), pc, ds, old + 10 * MIN));
      });
      await system.send(events);
      if (wave === 2) {
        const victim = system.services[1];
        victim.kill('SIGKILL');
        expect(await victim.exited).toMatchObject({ signal: 'SIGKILL' });
      }
      await new Promise((r) => setTimeout(r, 1_500));
    }

    const values = await system.alerts.waitFor<Alert>(
      'every RECEIPT_OVERDUE alert resolved',
      (v) => facilities.every(([pc]) => system.alertOf(v, 'RECEIPT_OVERDUE', pc)?.status === 'RESOLVED'),
      60_000,
    );
    const revisions = new Map<string, number[]>();
    for (const a of values) revisions.set(a.alertId, [...(revisions.get(a.alertId) ?? []), a.revision]);
    for (const [alertId, list] of revisions) {
      const sorted = [...list].sort((x, y) => x - y);
      expect({ alertId, revisions: sorted }).toEqual({ alertId, revisions: sorted.map((_, i) => i + 1) });
    }
    expect(revisions.size).toBeGreaterThanOrEqual(facilities.length);
  });
});
