/**
 * The notifier and a real Prometheus Alertmanager (Debian's prometheus-alertmanager, started by the
 * test on 127.0.0.1): firing, acknowledged and resolved alerts; an alert kept firing past its endsAt
 * horizon only by being re-sent; an Alertmanager restart (it keeps alerts in memory) healed within one
 * re-send interval, also by a notifier started afresh that knows the alerts only from Redis; an HA pair
 * each receiving every alert, one peer down holding back nothing; an alert Alertmanager refuses set
 * aside and reported while the others go through. The re-send interval is shortened to 2 s here
 * (NOTIFIER_ALERTMANAGER_RESEND_SECONDS; 60 s in production), so each endsAt is 8 s ahead.
 */
import type { Alert } from '@app/contracts';
import type { Subscription } from '@app/subscriptions';

import { alertOf } from '../libs/subscriptions/src/testing/fixtures';
import { AlertmanagerServer, type ListedAlert } from './helpers/alertmanager';
import { waitFor } from './helpers/kafka';
import { deliveriesMetric, NotifierRig } from './helpers/notifier';

jest.setTimeout(180_000);

const RESEND_SECONDS = 2;
const RESEND_MS = RESEND_SECONDS * 1000;
const HORIZON_MS = 4 * RESEND_MS;

/** A FEEDBACK_OVERDUE alert of `facility` on route `route`, started a minute ago. */
function alertAt(facility: string, route: string, overrides: Partial<Alert> = {}): Alert {
  const to = `${facility}/${route}`;
  return alertOf({
    alertId: `FEEDBACK_OVERDUE|${facility}|2026-11-27/AM|${facility}|${to}`,
    facilityId: facility,
    from: facility,
    to,
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    updatedAt: new Date().toISOString(),
    text: `2 express items handed to ${to} have no delivery feedback after 240 min`,
    ...overrides,
  });
}

function resolvedOf(alert: Alert, revision: number, endsAt = new Date().toISOString()): Alert {
  return { ...alert, revision, status: 'RESOLVED', endsAt, updatedAt: endsAt };
}

describe('the notifier and a real Alertmanager', () => {
  const rig = new NotifierRig({
    NOTIFIER_ALERTMANAGER_RESEND_SECONDS: String(RESEND_SECONDS),
    NOTIFIER_RETRY_BASE_SECONDS: '0.2',
    NOTIFIER_RETRY_MAX_SECONDS: '1',
    NOTIFIER_SEND_TIMEOUT_SECONDS: '2',
  });
  const servers: AlertmanagerServer[] = [];
  let am: AlertmanagerServer;

  beforeAll(async () => {
    await rig.setUp();
    am = await AlertmanagerServer.start();
    servers.push(am);
    await rig.start();
  });
  afterAll(async () => {
    await rig.tearDown();
    await Promise.all(servers.map((s) => s.close()));
  });

  const subscribe = (facility: string, url: string, peers?: string[]) =>
    rig.subscribe({
      name: `Alertmanager ${facility}`,
      channel: 'alertmanager',
      url,
      ...(peers ? { peers } : {}),
      facilities: [facility],
      deliver: ['alerts'],
    });

  async function waitForListed(
    server: AlertmanagerServer,
    ids: string[],
    what: string,
  ): Promise<Map<string, ListedAlert>> {
    const listed = await waitFor(
      async () => {
        const listed = await server.alertsById();
        return ids.every((id) => listed.has(id)) ? listed : null;
      },
      { what: `${what}; Alertmanager said:\n${server.tail(5)}`, timeoutMs: 30_000, intervalMs: 100 },
    );
    return listed as Map<string, ListedAlert>;
  }

  it('puts firing alerts into Alertmanager, shows who acknowledged one, and resolves the one that resolved', async () => {
    const { id } = await subscribe('ZJ-HZ-DS11', am.url);
    const a = alertAt('ZJ-HZ-DS11', 'R01');
    const b = alertAt('ZJ-HZ-DS11', 'R02', { severity: 'warning' });
    await rig.sendAlerts([a, b]);
    const listed = await waitForListed(am, [a.alertId, b.alertId], 'both firing alerts listed');
    expect(listed.get(a.alertId)).toMatchObject({
      labels: {
        alertname: 'FEEDBACK_OVERDUE',
        alertId: a.alertId,
        severity: 'critical',
        facility: 'ZJ-HZ-DS11',
        shift: '2026-11-27/AM',
        to: 'ZJ-HZ-DS11/R01',
      },
      annotations: { summary: a.text, revision: '1' },
      status: { state: 'active' },
    });
    expect(listed.get(b.alertId)?.labels.severity).toBe('warning');

    await rig.sendAlerts([{ ...a, revision: 2, acknowledgedBy: 'supervisor-7' }]);
    await waitFor(
      async () => (await am.alertsById()).get(a.alertId)?.annotations.acknowledgedBy === 'supervisor-7',
      { what: 'the acknowledgement shown in Alertmanager', timeoutMs: 30_000 },
    );
    expect((await am.alertsById()).get(a.alertId)?.annotations.revision).toBe('2');

    const resolvedBefore = await am.metric('alertmanager_alerts_received_total', { status: 'resolved' });
    await rig.sendAlerts([resolvedOf({ ...a, acknowledgedBy: 'supervisor-7' }, 3)]);
    await waitFor(async () => !(await am.alertsById()).has(a.alertId), {
      what: 'the resolved alert to leave the active list',
      timeoutMs: 30_000,
    });
    expect((await am.alertsById()).has(b.alertId)).toBe(true);
    expect(await am.metric('alertmanager_alerts_received_total', { status: 'resolved' })).toBeGreaterThan(
      resolvedBefore,
    );
    await waitFor(async () => (await rig.store.get(id))?.delivery.delivered === 4, {
      what: 'the four revisions counted delivered',
    });
    expect((await rig.store.get(id))?.delivery).toMatchObject({
      pending: 0,
      failedAttempts: 0,
      lastError: null,
      rejected: 0,
    });
  });

  it('keeps an alert firing past its endsAt horizon by re-sending it, each time further ahead', async () => {
    await subscribe('ZJ-HZ-DS12', am.url);
    const c = alertAt('ZJ-HZ-DS12', 'R01');
    await rig.sendAlerts([c]);
    const first = (await waitForListed(am, [c.alertId], 'the alert listed')).get(c.alertId);
    const firstEndsAt = Date.parse(first?.endsAt ?? '');
    expect(firstEndsAt - Date.now()).toBeGreaterThan(HORIZON_MS - RESEND_MS - 1_000);
    expect(firstEndsAt - Date.now()).toBeLessThanOrEqual(HORIZON_MS);
    // without re-sends Alertmanager would resolve it at firstEndsAt (the old notifier: 24 h later)
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstEndsAt - Date.now()) + RESEND_MS));
    const later = (await am.alertsById()).get(c.alertId);
    expect(later?.status.state).toBe('active');
    expect(Date.parse(later?.endsAt ?? '')).toBeGreaterThan(Date.now());
    expect(Date.parse(later?.updatedAt ?? '')).toBeGreaterThan(firstEndsAt - HORIZON_MS);
  });

  it('has the firing alerts back within one re-send interval after Alertmanager restarts, also from a notifier started afresh', async () => {
    await subscribe('ZJ-HZ-DS13', am.url);
    const firing = ['R01', 'R02', 'R03', 'R04', 'R05'].map((r) => alertAt('ZJ-HZ-DS13', r));
    const ids = firing.map((a) => a.alertId);
    await rig.sendAlerts(firing);
    await waitForListed(am, ids, 'five firing alerts listed');

    await am.restart();
    const upAt = Date.now();
    const rightAfter = [...(await am.alertsById()).keys()].filter((id) => ids.includes(id)).length;
    await waitForListed(am, ids, 'the five alerts back after the restart');
    const backMs = Date.now() - upAt;
    expect(backMs).toBeLessThanOrEqual(RESEND_MS + 1_500);

    // a notifier killed outright, and a new one: it knows the alerts only from Redis
    const [old] = rig.notifiers;
    old.kill('SIGKILL');
    await old.exited;
    const fresh = await rig.start();
    await am.restart();
    const upAgainAt = Date.now();
    // the killed instance's lease on the subscription runs out first (NOTIFIER_SEND_TIMEOUT_SECONDS + 5 s)
    await waitForListed(am, ids, `the five alerts back from the new notifier; it said:\n${fresh.tail()}`);
    const backAgainMs = Date.now() - upAgainAt;
    console.log(
      `Alertmanager restart: ${rightAfter} of 5 firing alerts listed right after it was up, all 5 back ` +
        `${backMs} ms later (re-send interval ${RESEND_MS} ms); after a notifier SIGKILL and a new notifier, ` +
        `back ${backAgainMs} ms after the next restart`,
    );
  });

  it('sends every alert to both members of an HA pair, and one down holds back nothing', async () => {
    const [p, q] = await AlertmanagerServer.startPair();
    servers.push(p, q);
    const { id } = await subscribe('ZJ-HZ-DS14', p.url, [q.url]);
    const e1 = alertAt('ZJ-HZ-DS14', 'R01');
    const e2 = alertAt('ZJ-HZ-DS14', 'R02');
    await rig.sendAlerts([e1, e2]);
    await waitForListed(p, [e1.alertId, e2.alertId], 'both alerts at the first peer');
    await waitForListed(q, [e1.alertId, e2.alertId], 'both alerts at the second peer');

    await q.stop();
    const e3 = alertAt('ZJ-HZ-DS14', 'R03');
    const sentAt = Date.now();
    await rig.sendAlerts([e3]);
    await waitForListed(p, [e3.alertId], 'the new alert at the peer that is up');
    expect(Date.now() - sentAt).toBeLessThan(RESEND_MS * 2);
    const failing = (await waitFor(
      async () => {
        const sub = await rig.store.get(id);
        return sub && sub.delivery.failedAttempts > 0 ? sub : null;
      },
      { what: 'the peer that is down reported' },
    )) as Subscription;
    expect(failing.delivery.lastError).toMatch(/^peers\[0\]: (ECONNREFUSED|timed out)/);
    expect(failing.peers).toEqual([`${q.url}/`]); // as the API shows it

    await q.restart();
    await waitForListed(q, [e1.alertId, e2.alertId, e3.alertId], 'every alert at the peer once it is back');
    await waitFor(async () => (await rig.store.get(id))?.delivery.failedAttempts === 0, {
      what: 'the subscription healthy again',
    });
    expect((await rig.store.get(id))?.delivery.lastError).toBeNull();
  });

  it('sets aside an alert Alertmanager refuses, reports it, and delivers the others of its batch', async () => {
    const { id } = await subscribe('ZJ-HZ-DS15', am.url);
    const good1 = alertAt('ZJ-HZ-DS15', 'R01');
    const good2 = alertAt('ZJ-HZ-DS15', 'R02');
    // resolved before it started (a watch instance whose clock was behind): Alertmanager answers 400
    const skewed = alertAt('ZJ-HZ-DS15', 'R03');
    const bad = resolvedOf(skewed, 2, new Date(Date.parse(skewed.startsAt) - 3_600_000).toISOString());
    const invalidBefore = await am.metric('alertmanager_alerts_invalid_total');
    await rig.sendAlerts([good1, bad, good2]);
    await waitForListed(am, [good1.alertId, good2.alertId], 'the two valid alerts listed');
    const sub = (await waitFor(
      async () => {
        const s = await rig.store.get(id);
        return s?.delivery.rejected === 1 && s.delivery.delivered === 2 ? s : null;
      },
      { what: 'the refused alert counted' },
    )) as Subscription;
    expect(sub.delivery.lastError).toBe(
      `Alertmanager refused 1 alert(s) (HTTP 400), set aside: ${bad.alertId} rev 2`,
    );
    expect(sub.delivery.pending).toBe(0);
    const metrics = await rig.metrics(rig.notifiers[rig.notifiers.length - 1]);
    expect(deliveriesMetric(metrics, 'alertmanager', 'rejected')).toBe(1);
    // refused in the batch, then alone; not sent again at the re-sends that follow
    const invalidAfter = await am.metric('alertmanager_alerts_invalid_total');
    expect(invalidAfter - invalidBefore).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 2 * RESEND_MS + 500));
    expect(await am.metric('alertmanager_alerts_invalid_total')).toBe(invalidAfter);
    expect((await am.alertsById()).has(good1.alertId)).toBe(true);
  });
});
