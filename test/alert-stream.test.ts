import { randomBytes } from 'node:crypto';

import type { Alert, ScanEvent } from '@app/contracts';

import { ApiService, EventStream } from './helpers/api-service';
import { produceLines, testBrokers } from './helpers/kafka';
import { itemNumber } from './helpers/scenario';
import { System } from './helpers/system';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const A = 'ST-DS01';
const B = 'ST-DS02';

/** An alert revision as the watch publishes it (the API consumes the topic, whoever wrote it). */
function revision(alertId: string, facilityId: string, rev: number): Alert {
  const now = iso(Date.now());
  return {
    alertId,
    kind: 'ORPHAN_CLOSURE',
    status: 'FIRING',
    severity: 'warning',
    facilityId,
    shiftId: '2026-11-27/E',
    from: facilityId,
    to: `${facilityId}/R01`,
    itemCount: rev,
    items: [],
    startsAt: now,
    updatedAt: now,
    endsAt: null,
    revision: rev,
    acknowledgedBy: null,
    text: `${rev} records have no hand-off`,
  };
}

describe('the alert stream (Server-Sent Events)', () => {
  const system = new System();
  const api = new ApiService(() => system.env, {
    a: { role: 'supervisor', facilities: [A] },
    b: { role: 'supervisor', facilities: [B] },
    admin: { role: 'admin', facilities: ['*'] },
  });
  const streams: EventStream[] = [];
  const open = async (as: string, lastEventId?: string, via: 'header' | 'query' = 'header') => {
    const headers: Record<string, string> = {};
    let query = '';
    if (via === 'header') {
      headers.authorization = `Bearer ${api.tokens[as]}`;
      if (lastEventId) headers['last-event-id'] = lastEventId;
    } else {
      query = `?access_token=${api.tokens[as]}${lastEventId ? `&lastEventId=${lastEventId}` : ''}`;
    }
    const stream = await EventStream.open(`${api.url}/api/v1/alerts/stream${query}`, headers);
    streams.push(stream);
    return stream;
  };
  const publish = (alerts: Alert[]) =>
    produceLines(
      testBrokers(),
      system.topics.alerts,
      alerts.map((a) => JSON.stringify(a)),
      (_, i) => alerts[i].alertId,
    );
  const laterThan = (id: string, than: string) => {
    const [a, b] = [id, than].map((v) => v.split('-').map(BigInt));
    return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
  };
  const newId = () => `st-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    await system.start();
    await api.start({ SSE_HEARTBEAT_SECONDS: '1' });
  });
  afterAll(async () => {
    await Promise.all(streams.map((s) => s.close()));
    await api.stop();
    await system.stop();
  });

  it('sends an alert the watch raises to the callers whose scope holds it, and to no one else', async () => {
    const inScope = await open('a');
    const outOfScope = await open('b');
    const viaQuery = await open('a', undefined, 'query');
    expect([inScope.status, outOfScope.status, viaQuery.status]).toEqual([200, 200, 200]);
    const item = itemNumber('EA', 777);
    const now = Date.now();
    const events: ScanEvent[] = [
      {
        eventId: newId(),
        type: 'HANDOVER',
        itemId: item,
        facilityId: A,
        from: A,
        to: `${A}/R02`,
        occurredAt: iso(now - 20 * MIN),
      },
      {
        eventId: newId(),
        type: 'FEEDBACK',
        itemId: item,
        facilityId: A,
        route: `${A}/R02`,
        outcome: 'PICKUP_POINT',
        occurredAt: iso(now - 5 * MIN),
      },
    ];
    await system.send(events);
    const isIt = (a: { facilityId: string | null; revision: number } & Partial<Alert>) =>
      a.facilityId === A && a.kind === 'UNCONSENTED_DELIVERY';
    await inScope.waitFor('the UNCONSENTED_DELIVERY alert on the stream', (s) =>
      s.alerts<Alert>().some(isIt),
    );
    await viaQuery.waitFor('the alert on the stream opened with ?access_token=', (s) =>
      s.alerts<Alert>().some(isIt),
    );
    const [event] = inScope.events.filter((e) => isIt(JSON.parse(e.data)));
    expect(event.event).toBe('alert');
    expect(event.id).toMatch(/^\d+-\d+$/);
    expect(JSON.parse(event.data)).toMatchObject({ items: [item], status: 'FIRING', revision: 1 });
    // b sees the heartbeats, but never A's alert
    await outOfScope.waitFor('a heartbeat comment', (s) => s.comments.includes('heartbeat'));
    expect(outOfScope.alerts()).toEqual([]);
  });

  it('resumes after Last-Event-ID with exactly the events missed, none twice', async () => {
    const witness = await open('a'); // connected throughout
    const first = await open('a');
    const x = newId();
    await publish([revision(x, A, 1), revision(x, A, 2)]);
    await first.waitFor(
      'the first two revisions',
      (s) => s.alerts().filter((a) => a.alertId === x).length === 2,
    );
    const lastSeen = first.events[first.events.length - 1].id;
    await first.close();

    // while it is away: new revisions in and out of its scope, a stale revision, a redelivered one
    const y = newId();
    const missed = [
      revision(x, A, 3),
      revision(y, A, 1),
      revision(newId(), B, 1),
      revision(x, A, 2),
      revision(y, A, 2),
    ];
    await publish(missed);
    await witness.waitFor('the revisions published meanwhile', (s) =>
      s.alerts().some((a) => a.alertId === y && a.revision === 2),
    );

    const resumed = await open('a', lastSeen);
    const viaQuery = await open('a', lastSeen, 'query');
    const expected = witness.events.filter((e) => laterThan(e.id, lastSeen));
    // x and y may sit on different partitions: the order between them is not fixed, each one's is
    const missedPairs = expected.map((e) => JSON.parse(e.data)).map((a) => `${a.alertId}#${a.revision}`);
    expect([...missedPairs].sort()).toEqual([`${x}#3`, `${y}#1`, `${y}#2`].sort());
    expect(missedPairs.filter((p) => p.startsWith(`${y}#`))).toEqual([`${y}#1`, `${y}#2`]);
    const live: string[] = [];
    for (const stream of [resumed, viaQuery]) {
      await stream.waitFor('the missed events', (s) => s.events.length >= expected.length);
      // then a live one, after the backlog and only once
      const z = newId();
      live.push(z);
      await publish([revision(z, A, 1)]);
      await stream.waitFor('a live event after the backlog', (s) => s.alerts().some((a) => a.alertId === z));
      const ids = stream.events.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(stream.events.slice(0, expected.length)).toEqual(expected);
      expect(
        stream
          .alerts()
          .slice(expected.length)
          .map((a) => a.alertId),
      ).toEqual(live);
    }
  });

  it('refuses a stream without a token (401) and a Last-Event-ID that is not one of its ids (400)', async () => {
    expect((await EventStream.open(`${api.url}/api/v1/alerts/stream`)).status).toBe(401);
    const bad = await open('a', 'yesterday');
    expect(bad.status).toBe(400);
  });

  it('counts its clients on /metrics, and closes every stream on SIGTERM, exiting 0 quickly', async () => {
    const stream = await open('admin');
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/handover_api_sse_clients [1-9]/);
    const started = Date.now();
    api.process.kill('SIGTERM');
    const { code } = await api.process.exited;
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    await stream.waitFor('the stream to end', (s) => s.ended);
  });
});
