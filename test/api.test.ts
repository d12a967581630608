import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { FacilityCalendar } from '@app/calendar';
import { Alert, ShiftSummary, type ScanEvent } from '@app/contracts';
import { writeLagReport } from '@app/lag';

import { ApiService } from './helpers/api-service';
import { produceLines, testBrokers } from './helpers/kafka';
import { ServiceProcess } from './helpers/ledger-process';
import { itemNumber } from './helpers/scenario';
import { System } from './helpers/system';

const MIN = 60_000;
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
let seq = 0;
const id = () => `api-${Date.now().toString(36)}-${seq++}`;
const calendar = FacilityCalendar.fromFile(join(__dirname, '..', 'deploy', 'config', 'facilities.json'));

// facilities of this file only (not in the calendar: they work on its default shifts)
const DS = 'AP-DS01';
const PC = 'AP-PC01';
const OTHER = 'AP-DS02';
const ROUTE = `${DS}/R01`;

function handover(itemId: string, from: string, to: string, at: number): ScanEvent {
  return {
    eventId: id(),
    type: 'HANDOVER',
    itemId,
    facilityId: from.split('/')[0],
    from,
    to,
    occurredAt: iso(at),
  };
}
function lockerWithoutConsent(itemId: string, route: string, at: number): ScanEvent {
  return {
    eventId: id(),
    type: 'FEEDBACK',
    itemId,
    facilityId: route.split('/')[0],
    route,
    outcome: 'LOCKER',
    consent: false,
    occurredAt: iso(at),
  };
}

interface ErrorBody {
  error: { code: string; message: string };
}
interface Page {
  items: Alert[];
  nextCursor: string | null;
}

describe('the HTTP API, run as a process beside the ledger and the watch', () => {
  const system = new System({ SHIFT_GRACE_MINUTES: '0' });
  const api = new ApiService(() => system.env, {
    admin: { role: 'admin', facilities: ['*'] },
    supervisor: { role: 'supervisor', facilities: [DS, PC] },
    manager: { role: 'manager', facilities: [DS] },
    sre: { role: 'sre', facilities: [PC] },
    'other-supervisor': { role: 'supervisor', facilities: [OTHER] },
  });
  let redis: Redis;
  const now = Date.now();
  const oldShift = calendar.shiftAt(DS, now - 2 * DAY);
  const unconsented = itemNumber('EA', 901);
  const overdue = itemNumber('EA', 902);
  const elsewhere = itemNumber('EA', 903);
  const liveParcel = itemNumber('CP', 950);
  const currentShift = calendar.shiftAt(DS, now);
  const openItems = Array.from({ length: 25 }, (_, i) => itemNumber('CP', 910 + i));

  const alertOf = async (as: string, kind: string, facilityId: string | null) => {
    const page = await api.get<Page>(`/api/v1/alerts?limit=500`, as);
    return page.body.items.find((a) => a.kind === kind && a.facilityId === facilityId);
  };
  const untilAlert = (kind: string, facilityId: string | null, test: (a: Alert) => boolean = () => true) =>
    system.alerts.waitFor<Alert>(`${kind} of ${facilityId}`, (v) =>
      v.some((a) => a.kind === kind && a.facilityId === facilityId && test(a)),
    );
  const inApi = async (kind: string, facilityId: string | null, test: (a: Alert) => boolean = () => true) => {
    let found: Alert | undefined;
    await system.alerts.waitFor<Alert>(`${kind} of ${facilityId} in the API`, () => true);
    for (let i = 0; i < 300 && !found; i++) {
      const a = await alertOf('admin', kind, facilityId);
      if (a && test(a)) found = a;
      else await new Promise((r) => setTimeout(r, 100));
    }
    if (!found) throw new Error(`no ${kind} of ${facilityId} in the API`);
    return found;
  };

  beforeAll(async () => {
    await system.start();
    redis = new Redis(system.redisUrl);
    await api.start();
    await system.send([
      handover(unconsented, DS, ROUTE, now - 20 * MIN),
      lockerWithoutConsent(unconsented, ROUTE, now - 10 * MIN),
      handover(overdue, PC, DS, now - 61 * MIN),
      handover(liveParcel, DS, `${DS}/R05`, Math.max(currentShift.startMs, now - 30_000)),
      handover(elsewhere, OTHER, `${OTHER}/R09`, now - 20 * MIN),
      lockerWithoutConsent(elsewhere, `${OTHER}/R09`, now - 10 * MIN),
      // a closed shift two days ago, unbalanced: 25 parcels handed out and never received
      ...openItems.map((item) => handover(item, DS, 'AP-DS09', oldShift.startMs + 10 * MIN)),
    ]);
    // a CONSUMER_LAG alert as the lag monitor publishes it: no facility
    await produceLines(
      testBrokers(),
      system.topics.alerts,
      [
        JSON.stringify({
          alertId: 'lag-api-test',
          kind: 'CONSUMER_LAG',
          status: 'FIRING',
          severity: 'warning',
          facilityId: null,
          shiftId: null,
          from: null,
          to: null,
          itemCount: 0,
          items: [],
          startsAt: iso(now),
          updatedAt: iso(now),
          endsAt: null,
          revision: 1,
          acknowledgedBy: null,
          text: 'handover-ledger lag status STALL for 5 min',
        }),
      ],
      () => 'lag-api-test',
    );
    await inApi('UNCONSENTED_DELIVERY', DS);
    await inApi('UNCONSENTED_DELIVERY', OTHER);
    await inApi('RECEIPT_OVERDUE', PC);
    await inApi('SHIFT_UNBALANCED', DS);
    await inApi('CONSUMER_LAG', null);
  });
  afterAll(async () => {
    await api.stop();
    await system.stop();
    redis?.disconnect();
  });

  describe('health and metrics', () => {
    it('answers /health/live, /health/ready and /metrics without a token, on HTTP_PORT', async () => {
      expect((await api.get('/health/live')).status).toBe(200);
      const ready = await api.get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({
        status: 'up',
        checks: { service: 'up', kafka: 'up', redis: 'up', consumer: 'up', stream: 'up' },
      });
      const metrics = await api.get<string>('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain(
        'handover_api_request_seconds_bucket{le="0.005",method="GET",route="/api/v1/alerts",status="2xx"}',
      );
      expect(metrics.body).toContain('handover_api_sse_clients 0');
      expect(metrics.body).toMatch(
        /handover_api_view_messages_total\{view="alerts",result="applied"\} [1-9]/,
      );
      expect(metrics.body).not.toContain(DS); // no facility ids in labels
    });
  });

  describe('authentication and roles', () => {
    it('answers 401 with no token, an unknown token, or a header that is not Bearer', async () => {
      for (const as of [undefined, 'no-such-token', { header: 'Basic YTpi' }]) {
        const res = await api.get<ErrorBody>('/api/v1/alerts', as);
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHORIZED');
        expect(typeof res.body.error.message).toBe('string');
      }
    });

    it('tells each token who it is on /api/v1/me', async () => {
      expect((await api.get('/api/v1/me', 'manager')).body).toEqual({
        name: 'manager',
        role: 'manager',
        facilities: [DS],
      });
      expect((await api.get('/api/v1/me', 'admin')).body).toEqual({
        name: 'admin',
        role: 'admin',
        facilities: ['*'],
      });
    });

    it('lists the facilities in scope, and for a "*" token also those with ledger data', async () => {
      const scoped = await api.get<{ items: { id: string }[] }>('/api/v1/facilities', 'supervisor');
      expect(scoped.body.items.map((f) => f.id)).toEqual([DS, PC]);
      const all = await api.get<{ items: { id: string; name: string; timezone: string }[] }>(
        '/api/v1/facilities',
        'admin',
      );
      const ids = all.body.items.map((f) => f.id);
      expect(ids).toEqual(expect.arrayContaining(['ZJ-HZ-DS07', DS, PC, OTHER]));
      expect(all.body.items.find((f) => f.id === 'ZJ-HZ-DS07')).toMatchObject({
        name: 'Hangzhou West delivery station',
        timezone: 'Asia/Shanghai',
      });
    });

    it('answers an unknown route with a 404 in the error format', async () => {
      const res = await api.get<ErrorBody>('/api/v1/nothing-here', 'admin');
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    });
  });

  describe('shifts', () => {
    it('serves the live ledger of the current shift to supervisors, managers and admins in scope', async () => {
      for (const as of ['supervisor', 'manager', 'admin']) {
        const res = await api.get<{
          shiftId: string;
          totals: Record<string, number>;
          openItems: { items: { itemId: string }[] };
        }>(`/api/v1/facilities/${DS}/shifts/current`, as);
        expect(res.status).toBe(200);
        expect(res.body.shiftId).toBe(calendar.shiftAt(DS, Date.now()).shiftId);
        expect(res.body.totals.handedOut).toBeGreaterThanOrEqual(1);
        expect(res.body.openItems.items).toContainEqual({ itemId: liveParcel, from: DS, to: `${DS}/R05` });
      }
    });

    it('refuses a facility out of scope (403), a role without ledgers (403), a bad id (400), an unknown one (404)', async () => {
      expect((await api.get(`/api/v1/facilities/${DS}/shifts/current`, 'other-supervisor')).status).toBe(403);
      expect((await api.get(`/api/v1/facilities/${PC}/shifts/current`, 'manager')).status).toBe(403);
      expect((await api.get(`/api/v1/facilities/${PC}/shifts/current`, 'sre')).status).toBe(403);
      expect((await api.get(`/api/v1/facilities/not-a-facility/shifts/current`, 'admin')).status).toBe(400);
      expect((await api.get(`/api/v1/facilities/AP-NEVER-SEEN/shifts/current`, 'admin')).status).toBe(404);
      expect((await api.get(`/api/v1/facilities/${DS}/shifts/current`)).status).toBe(401);
    });

    it('pages through the open hand-offs of one shift with ?cursor=, each once', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?limit=10&cursor=${cursor}` : '?limit=10';
        const res = await api.get<{
          closed: boolean;
          totals: { open: number };
          openItems: { count: number; items: { itemId: string; to: string }[]; nextCursor: string | null };
        }>(`/api/v1/facilities/${DS}/shifts/${oldShift.shiftId}${query}`, 'manager');
        expect(res.status).toBe(200);
        expect(res.body.closed).toBe(true);
        expect(res.body.totals.open).toBe(25);
        expect(res.body.openItems.count).toBe(25);
        seen.push(...res.body.openItems.items.map((i) => i.itemId));
        cursor = res.body.openItems.nextCursor;
        pages++;
      } while (cursor && pages < 50);
      expect(pages).toBeGreaterThan(1);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.sort()).toEqual([...openItems].sort());
    });

    it('takes the shift id with its slash encoded or not, and refuses one that is not a shift of the calendar', async () => {
      const encoded = await api.get(
        `/api/v1/facilities/${DS}/shifts/${encodeURIComponent(oldShift.shiftId)}`,
        'admin',
      );
      expect(encoded.status).toBe(200);
      expect((await api.get(`/api/v1/facilities/${DS}/shifts/2026-11-27/ZZ`, 'admin')).status).toBe(404);
      expect((await api.get(`/api/v1/facilities/${DS}/shifts/yesterday`, 'admin')).status).toBe(400);
      expect(
        (await api.get(`/api/v1/facilities/${DS}/shifts/${oldShift.shiftId}?cursor=abc`, 'admin')).status,
      ).toBe(400);
    });

    it('serves the latest summary of a closed shift, 404 before close, and the newest summaries first', async () => {
      let summary: ShiftSummary | undefined;
      for (let i = 0; i < 300 && !summary; i++) {
        const res = await api.get<ShiftSummary>(
          `/api/v1/facilities/${DS}/shifts/${oldShift.shiftId}/summary`,
          'supervisor',
        );
        if (res.status === 200) summary = ShiftSummary.parse(res.body);
        else await new Promise((r) => setTimeout(r, 100));
      }
      expect(summary).toMatchObject({ facilityId: DS, shiftId: oldShift.shiftId, balanced: false });
      expect(summary?.totals.open).toBe(25);
      const current = calendar.shiftAt(DS, Date.now()).shiftId;
      const early = await api.get<ErrorBody>(
        `/api/v1/facilities/${DS}/shifts/${current}/summary`,
        'supervisor',
      );
      expect(early.status).toBe(404);
      expect(early.body.error.code).toBe('NOT_FOUND');
      const list = await api.get<{ items: ShiftSummary[] }>(
        `/api/v1/facilities/${DS}/summaries?limit=5`,
        'manager',
      );
      expect(list.body.items.map((x) => x.shiftId)).toContain(oldShift.shiftId);
      const starts = list.body.items.map((x) => Date.parse(x.start));
      expect(starts).toEqual([...starts].sort((a, b) => b - a));
      expect((await api.get(`/api/v1/facilities/${DS}/summaries?limit=0`, 'manager')).status).toBe(400);
      expect((await api.get(`/api/v1/facilities/${DS}/summaries`, 'other-supervisor')).status).toBe(403);
    });
  });

  describe('alerts', () => {
    it('lists every alert to an admin, newest first, and pages through them with limit and cursor', async () => {
      const all = (await api.get<Page>('/api/v1/alerts?limit=500', 'admin')).body.items;
      const updated = all.map((a) => Date.parse(a.updatedAt));
      expect(updated).toEqual([...updated].sort((a, b) => b - a));
      expect(all.map((a) => a.kind)).toEqual(
        expect.arrayContaining([
          'UNCONSENTED_DELIVERY',
          'RECEIPT_OVERDUE',
          'SHIFT_UNBALANCED',
          'CONSUMER_LAG',
        ]),
      );
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: Page } = await api.get<Page>(
          `/api/v1/alerts?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
          'admin',
        );
        paged.push(...res.body.items.map((a) => a.alertId));
        cursor = res.body.nextCursor;
      } while (cursor && paged.length < 100);
      expect(paged).toEqual(all.map((a) => a.alertId));
    });

    it('shows a supervisor only the alerts of its facilities, and an SRE also CONSUMER_LAG', async () => {
      const supervisor = (await api.get<Page>('/api/v1/alerts', 'supervisor')).body.items;
      expect(new Set(supervisor.map((a) => a.facilityId))).toEqual(new Set([DS, PC]));
      const sre = (await api.get<Page>('/api/v1/alerts', 'sre')).body.items;
      expect(new Set(sre.map((a) => a.facilityId))).toEqual(new Set([PC, null]));
      const other = (await api.get<Page>('/api/v1/alerts', 'other-supervisor')).body.items;
      expect(other.map((a) => [a.kind, a.facilityId])).toEqual([['UNCONSENTED_DELIVERY', OTHER]]);
    });

    it('filters by facilityId, status and kind, and refuses a facility out of scope or a bad filter', async () => {
      const byKind = (
        await api.get<Page>(
          `/api/v1/alerts?facilityId=${DS}&status=FIRING&kind=UNCONSENTED_DELIVERY`,
          'manager',
        )
      ).body;
      expect(byKind.items.map((a) => [a.kind, a.facilityId, a.status])).toEqual([
        ['UNCONSENTED_DELIVERY', DS, 'FIRING'],
      ]);
      expect(
        (await api.get<Page>(`/api/v1/alerts?status=RESOLVED&facilityId=${PC}`, 'admin')).body.items,
      ).toEqual([]);
      expect((await api.get(`/api/v1/alerts?facilityId=${PC}`, 'manager')).status).toBe(403);
      expect((await api.get(`/api/v1/alerts?status=OPEN`, 'manager')).status).toBe(400);
      expect((await api.get(`/api/v1/alerts?kind=FIRE`, 'manager')).status).toBe(400);
      expect((await api.get(`/api/v1/alerts?limit=100000`, 'manager')).status).toBe(400);
      expect((await api.get(`/api/v1/alerts?cursor=garbage`, 'manager')).status).toBe(400);
      expect((await api.get(`/api/v1/alerts?colour=red`, 'manager')).status).toBe(400);
    });

    it('serves one alert in scope, 403 out of scope, 404 when unknown', async () => {
      const alert = await inApi('RECEIPT_OVERDUE', PC);
      const res = await api.get<Alert>(`/api/v1/alerts/${alert.alertId}`, 'sre');
      expect(res.status).toBe(200);
      expect(Alert.parse(res.body)).toEqual(alert);
      expect((await api.get(`/api/v1/alerts/${alert.alertId}`, 'manager')).status).toBe(403);
      expect((await api.get(`/api/v1/alerts/lag-api-test`, 'supervisor')).status).toBe(403);
      expect((await api.get(`/api/v1/alerts/lag-api-test`, 'sre')).status).toBe(200);
      expect((await api.get(`/api/v1/alerts/no-such-alert`, 'admin')).status).toBe(404);
      expect((await api.get(`/api/v1/alerts/bad%20id`, 'admin')).status).toBe(400);
    });

    it('acknowledges an alert: a new revision with acknowledgedBy, on the alerts topic and in the API', async () => {
      const alert = await inApi('RECEIPT_OVERDUE', PC);
      expect((await api.post(`/api/v1/alerts/${alert.alertId}/ack`, 'sre')).status).toBe(403);
      expect((await api.post(`/api/v1/alerts/${alert.alertId}/ack`, 'manager')).status).toBe(403);
      expect((await api.post(`/api/v1/alerts/${alert.alertId}/ack`)).status).toBe(401);
      const res = await api.post<{ alert: Alert; acknowledgement: { by: string } }>(
        `/api/v1/alerts/${alert.alertId}/ack`,
        'supervisor',
      );
      expect(res.status).toBe(202);
      expect(res.body.alert.alertId).toBe(alert.alertId);
      expect(res.body.acknowledgement.by).toBe('supervisor');
      await untilAlert(
        'RECEIPT_OVERDUE',
        PC,
        (a) => a.revision === alert.revision + 1 && a.acknowledgedBy === 'supervisor',
      );
      const acked = await inApi('RECEIPT_OVERDUE', PC, (a) => a.revision === alert.revision + 1);
      expect(acked).toMatchObject({
        status: 'FIRING',
        acknowledgedBy: 'supervisor',
        itemCount: 1,
        items: [overdue],
      });
    });

    it('acknowledges a SHIFT_UNBALANCED alert too, though nothing else about it changed', async () => {
      const alert = await inApi('SHIFT_UNBALANCED', DS);
      expect((await api.post(`/api/v1/alerts/${alert.alertId}/ack`, 'manager')).status).toBe(202);
      const acked = await inApi('SHIFT_UNBALANCED', DS, (a) => a.revision === alert.revision + 1);
      expect(acked).toMatchObject({
        acknowledgedBy: 'manager',
        itemCount: alert.itemCount,
        status: 'FIRING',
      });
    });

    it("takes no acknowledgement of a CONSUMER_LAG alert (409): it is not the watch's", async () => {
      const res = await api.post<ErrorBody>('/api/v1/alerts/lag-api-test/ack', 'admin');
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('CONFLICT');
    });

    it('resolves an unconsented delivery for a supervisor, and refuses a manager or another kind', async () => {
      const alert = await inApi('UNCONSENTED_DELIVERY', DS);
      expect((await api.post(`/api/v1/alerts/${alert.alertId}/resolve`, 'manager')).status).toBe(403);
      expect((await api.post(`/api/v1/alerts/${alert.alertId}/resolve`, 'other-supervisor')).status).toBe(
        403,
      );
      const overdueAlert = await inApi('RECEIPT_OVERDUE', PC);
      expect((await api.post(`/api/v1/alerts/${overdueAlert.alertId}/resolve`, 'supervisor')).status).toBe(
        409,
      );
      const res = await api.post<{ alert: Alert; resolution: { by: string } }>(
        `/api/v1/alerts/${alert.alertId}/resolve`,
        'supervisor',
      );
      expect(res.status).toBe(202);
      expect(res.body.resolution.by).toBe('supervisor');
      await untilAlert('UNCONSENTED_DELIVERY', DS, (a) => a.status === 'RESOLVED');
      const resolved = await inApi('UNCONSENTED_DELIVERY', DS, (a) => a.status === 'RESOLVED');
      expect(resolved).toMatchObject({ revision: alert.revision + 1, itemCount: 0, items: [] });
      expect(resolved.endsAt).not.toBeNull();
      const again = await api.post<{ resolution: { alreadyResolved: boolean } }>(
        `/api/v1/alerts/${alert.alertId}/resolve`,
        'admin',
      );
      expect(again.body.resolution.alreadyResolved).toBe(true);
      expect(
        (await api.get<Page>(`/api/v1/alerts?status=RESOLVED&facilityId=${DS}`, 'manager')).body.items.map(
          (a) => a.alertId,
        ),
      ).toEqual([alert.alertId]);
    });
  });

  describe('subscriptions', () => {
    const input = (facilities: string[]) => ({
      name: 'station desk',
      channel: 'webhook',
      url: 'https://hooks.example.com/hbm',
      secret: 'k3y',
      facilities,
      deliver: ['alerts'],
    });

    it('creates, lists, reads and deletes a subscription in scope, never returning its secret', async () => {
      const created = await api.post<{ id: string; createdBy: string; hasSecret: boolean }>(
        '/api/v1/subscriptions',
        'manager',
        input([DS]),
      );
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ createdBy: 'manager', hasSecret: true });
      expect(JSON.stringify(created.body)).not.toContain('k3y');
      const listed = await api.get<{ items: { id: string }[] }>('/api/v1/subscriptions', 'supervisor');
      expect(listed.body.items.map((s) => s.id)).toContain(created.body.id);
      expect(
        (await api.get<{ items: unknown[] }>('/api/v1/subscriptions', 'other-supervisor')).body.items,
      ).toEqual([]);
      expect((await api.get(`/api/v1/subscriptions/${created.body.id}`, 'manager')).status).toBe(200);
      expect((await api.get(`/api/v1/subscriptions/${created.body.id}`, 'other-supervisor')).status).toBe(
        403,
      );
      expect(
        (await api.request('DELETE', `/api/v1/subscriptions/${created.body.id}`, 'other-supervisor')).status,
      ).toBe(403);
      expect(
        (await api.request('DELETE', `/api/v1/subscriptions/${created.body.id}`, 'manager')).status,
      ).toBe(204);
      expect((await api.get(`/api/v1/subscriptions/${created.body.id}`, 'manager')).status).toBe(404);
    });

    it('refuses facilities out of scope (403), a "*" subscription for a scoped token, bad or undeliverable bodies (400), an SRE (403)', async () => {
      expect((await api.post('/api/v1/subscriptions', 'manager', input([DS, PC]))).status).toBe(403);
      expect((await api.post('/api/v1/subscriptions', 'manager', input(['*']))).status).toBe(403);
      expect((await api.post('/api/v1/subscriptions', 'admin', input(['*']))).status).toBe(201);
      const bad = await api.post<ErrorBody>('/api/v1/subscriptions', 'manager', {
        ...input([DS]),
        channel: 'pager',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain('channel');
      const { secret: _, ...unsigned } = input([DS]);
      const noSecret = await api.post<ErrorBody>('/api/v1/subscriptions', 'manager', unsigned);
      expect(noSecret.status).toBe(400);
      expect(noSecret.body.error.message).toContain('secret');
      const summariesToAlertmanager = await api.post<ErrorBody>('/api/v1/subscriptions', 'manager', {
        ...input([DS]),
        channel: 'alertmanager',
        deliver: ['alerts', 'summaries'],
      });
      expect(summariesToAlertmanager.status).toBe(400);
      expect(summariesToAlertmanager.body.error.message).toContain('Alertmanager receives alerts only');
      expect((await api.post('/api/v1/subscriptions', 'sre', input([PC]))).status).toBe(403);
      expect((await api.get('/api/v1/subscriptions', 'sre')).status).toBe(403);
      const notJson = await fetch(`${api.url}/api/v1/subscriptions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${api.tokens.manager}`, 'content-type': 'application/json' },
        body: '{"name":',
      });
      expect(notJson.status).toBe(400);
      expect(((await notJson.json()) as ErrorBody).error.code).toBe('BAD_REQUEST');
    });
  });

  describe('consumer lag', () => {
    it("serves the lag monitor's report to SREs and admins only, 503 before the first sample", async () => {
      expect((await api.get<ErrorBody>('/api/v1/consumer-lag', 'sre')).status).toBe(503);
      const report = {
        sampledAt: iso(Date.now()),
        intervalSeconds: 10,
        groups: [
          {
            group: 'handover-ledger',
            status: 'OK' as const,
            members: 1,
            lag: 3,
            lagSeconds: 0.5,
            partitions: [
              {
                topic: 'postal.scan-events',
                partition: 0,
                committed: 10,
                endOffset: 13,
                lag: 3,
                lagSeconds: 0.5,
                status: 'OK' as const,
              },
            ],
          },
        ],
      };
      await writeLagReport(redis, report);
      for (const as of ['sre', 'admin']) {
        const res = await api.get('/api/v1/consumer-lag', as);
        expect(res.status).toBe(200);
        expect(res.body).toEqual(report);
      }
      for (const as of ['supervisor', 'manager'])
        expect((await api.get('/api/v1/consumer-lag', as)).status).toBe(403);
    });
  });

  describe('the dashboard files', () => {
    it('serves index.html at / and the others under /assets/ with their content types, without a token', async () => {
      const index = await api.get<string>('/');
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const js = await api.get('/assets/app.js');
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect((await api.get('/assets/style.css')).headers.get('content-type')).toBe(
        'text/css; charset=utf-8',
      );
    });

    it('serves nothing outside its folder', async () => {
      for (const path of [
        '/assets/..%2Fapi.module.ts',
        '/assets/%2E%2E%2Fmain.ts',
        '/assets/.hidden.js',
        '/assets/nope.js',
        '/assets/app.ts',
      ]) {
        const res = await api.get<ErrorBody>(path);
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('NOT_FOUND');
      }
    });
  });
});

describe('the API configuration', () => {
  it('stops at start with exit code 78 and a line naming TOKENS_FILE when the tokens file is bad', async () => {
    const bad = new ApiService({}, {});
    writeFileSync(
      bad.tokensFile,
      JSON.stringify({ tokens: [{ name: 'x', sha256: 'nope', role: 'boss', facilities: [] }] }),
    );
    const service = new ServiceProcess('api', { TOKENS_FILE: bad.tokensFile, HTTP_PORT: '0' });
    const { code } = await service.exited;
    expect(code).toBe(78);
    expect(service.output.join('\n')).toMatch(/config: TOKENS_FILE: .*tokens\.0\.sha256/);
  });
});
