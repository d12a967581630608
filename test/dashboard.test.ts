/**
 * The supervisor dashboard at `/`, driven in a real headless Chromium against the real system: the
 * ledger, the watch and the API on test topics, a real Kafka and Redis. Screenshots of every step are
 * kept in test-artifacts/dashboard/, with the measured times in timings.json beside them.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';
import { Partitioners, type Producer } from 'kafkajs';
import type { Browser, BrowserContext, Page } from 'playwright-core';

import type { Alert, ScanEvent } from '@app/contracts';

import { freePort } from '../deploy/local/ports';
import { launchChromium, loopbackContext, pageErrors, Screenshots } from './helpers/browser';
import { testBrokers, testKafka, waitFor } from './helpers/kafka';
import { ServiceProcess, waitUntilReady } from './helpers/ledger-process';
import { itemNumber } from './helpers/scenario';
import { System } from './helpers/system';

const MIN = 60_000;
const APPEAR_LIMIT_MS = 2_000;
const STATION = 'ZJ-HZ-DS07'; // in the supervisor's scope
const OTHER = 'ZJ-HZ-DS08'; // not in it
const SUPERVISOR = 'dash-supervisor';
const ARTIFACTS = join(__dirname, '..', 'test-artifacts', 'dashboard');

let seq = 0;
const eventId = () => `dash-${Date.now().toString(36)}-${seq++}`;
const iso = (ms: number) => new Date(ms).toISOString();

function handover(itemId: string, from: string, to: string, at: number): ScanEvent {
  return {
    eventId: eventId(),
    type: 'HANDOVER',
    itemId,
    facilityId: from.split('/')[0],
    from,
    to,
    mailClass: 'EXPRESS',
    occurredAt: iso(at),
  };
}

function feedback(itemId: string, route: string, at: number, outcome: 'DELIVERED' | 'LOCKER'): ScanEvent {
  return {
    eventId: eventId(),
    type: 'FEEDBACK',
    itemId,
    facilityId: route.split('/')[0],
    route,
    outcome,
    occurredAt: iso(at),
    ...(outcome === 'LOCKER' ? { consent: false } : {}),
  };
}

const card = (page: Page, kind: string, facilityId: string) =>
  page.locator(
    `[data-testid="firing-list"] [data-testid="alert-card"][data-kind="${kind}"][data-facility-id="${facilityId}"]`,
  );

describe('the supervisor dashboard, in a real headless Chromium against the running system', () => {
  const system = new System();
  const tokens = { supervisor: randomBytes(24).toString('hex'), admin: randomBytes(24).toString('hex') };
  const timings: Record<string, number> = {};
  let dir: string;
  let api: ServiceProcess;
  let apiEnv: Record<string, string>;
  let base: string;
  let producer: Producer;
  let browser: Browser;
  let context: BrowserContext;
  let refused: string[];
  let page: Page;
  let errors: string[];
  let shots: Screenshots;
  let unconsented: Alert;
  const outage = { from: 0, to: 0 };

  /** An API call with a token, parsed. */
  async function get<T>(path: string, token = tokens.admin): Promise<T> {
    const response = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  async function firing(facilityId: string, kind: string): Promise<Alert | undefined> {
    const page = await get<{ items: Alert[] }>(
      `/api/v1/alerts?facilityId=${facilityId}&status=FIRING&kind=${kind}`,
    );
    return page.items[0];
  }

  /** Produces events through a producer already connected, so the clock starts at the send itself. */
  async function produce(events: ScanEvent[]): Promise<void> {
    await producer.send({
      topic: system.topics.scans,
      acks: -1,
      messages: events.map((e) => ({
        key: (e.type === 'FEEDBACK' ? e.route : e.from).split('/')[0],
        value: JSON.stringify(e),
      })),
    });
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(join(os.tmpdir(), 'dashboard-test-'));
    const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
    const tokensFile = join(dir, 'tokens.json');
    fs.writeFileSync(
      tokensFile,
      JSON.stringify({
        tokens: [
          { name: SUPERVISOR, sha256: sha256(tokens.supervisor), role: 'supervisor', facilities: [STATION] },
          { name: 'dash-ops', sha256: sha256(tokens.admin), role: 'admin', facilities: ['*'] },
        ],
      }),
    );
    // ioredis falls back to database 0 when SELECT fails: make sure this test really has its own
    const db = await system.takeDatabase();
    const probe = new Redis(system.redisUrl, { lazyConnect: true });
    await probe.connect();
    const info = await probe.client('INFO');
    probe.disconnect();
    if (!new RegExp(` db=${db} `).test(` ${String(info)} `))
      throw new Error(`the test Redis has no database ${db}: ${String(info)}`);
    await system.start();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    apiEnv = {
      ...system.env,
      HTTP_PORT: String(port),
      TOKENS_FILE: tokensFile,
      API_GROUP_ID: `${system.topics.scans}-api`,
      SSE_HEARTBEAT_SECONDS: '5',
    };
    api = new ServiceProcess('api', apiEnv);
    system.services.push(api);
    producer = testKafka(testBrokers()).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await waitUntilReady(api, port);

    // Warm the whole path up (ledger, watch, the API's consumer) with a violation out of the
    // supervisor's scope, seen through the admin token: from then on every stage is running.
    const item = itemNumber('EA', 4001);
    await produce([handover(item, OTHER, `${OTHER}/R01`, Date.now() - 5 * MIN)]);
    await produce([feedback(item, `${OTHER}/R01`, Date.now(), 'LOCKER')]);
    await waitFor(() => firing(OTHER, 'UNCONSENTED_DELIVERY'), {
      what: `the out-of-scope violation in the API; the API said:\n${api.tail()}`,
      timeoutMs: 60_000,
      intervalMs: 200,
    });

    browser = await launchChromium();
    ({ context, refused } = await loopbackContext(browser, { viewport: { width: 1280, height: 900 } }));
    page = await context.newPage();
    errors = pageErrors(page);
    shots = new Screenshots(ARTIFACTS);
  }, 180_000);

  afterAll(async () => {
    if (shots) fs.writeFileSync(join(ARTIFACTS, 'timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
    await browser?.close();
    await producer?.disconnect();
    await system.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a wrong token and signs in with the right one, keeping it for the tab', async () => {
    await page.goto(`${base}/`);
    await page.getByTestId('token-input').waitFor();
    await shots.take(page, 'sign-in');

    await page.getByTestId('token-input').fill('not-a-token');
    await page.getByTestId('signin-button').click();
    await expectText(page.getByTestId('signin-error'), 'The token was not accepted');

    await page.getByTestId('token-input').fill(tokens.supervisor);
    await page.getByTestId('signin-button').click();
    await expectText(page.getByTestId('whoami'), SUPERVISOR);
    await page.locator('[data-testid="connection-status"][data-state="live"]').waitFor();
    await page.getByTestId('ledger-facility').first().waitFor();
    expect(await page.evaluate<string | null>("sessionStorage.getItem('hbm.dashboard.token')")).toBe(
      tokens.supervisor,
    );
    expect(await page.getByTestId('facility-select').inputValue()).toBe(STATION);

    await page.reload();
    await page.locator('[data-testid="connection-status"][data-state="live"]').waitFor();
    await expectText(page.getByTestId('whoami'), SUPERVISOR);
    await shots.take(page, 'signed-in');
  });

  it('shows an unconsented locker delivery within 2 s of the feedback scan, and never the alert of a facility out of scope', async () => {
    const route = `${STATION}/R03`;
    const item = itemNumber('EA', 4002);
    await produce([handover(item, STATION, route, Date.now() - 10_000)]);
    // the hand-off must be in the ledger first, or the feedback would be held as a closure without one
    await waitFor(
      async () =>
        (await get<{ totals: { handedOut: number } }>(`/api/v1/facilities/${STATION}/shifts/current`)).totals
          .handedOut >= 1,
      { what: 'the hand-off in the ledger', timeoutMs: 30_000 },
    );

    const sentAt = Date.now();
    await produce([feedback(item, route, Date.now(), 'LOCKER')]);
    // when the watch's alert reached the alerts topic, to tell the pipeline's share from the page's
    const onTopic = waitFor(
      () => (system.alertOf(system.alerts.values<Alert>(), 'UNCONSENTED_DELIVERY', STATION) ? Date.now() : 0),
      { what: 'the violation on the alerts topic', timeoutMs: 30_000, intervalMs: 10 },
    );
    const alert = card(page, 'UNCONSENTED_DELIVERY', STATION);
    await alert.waitFor({ timeout: 30_000 });
    // the page stamps each card with the moment it was built (same machine, same clock)
    timings.unconsentedAppearMs = Number(await alert.getAttribute('data-first-seen')) - sentAt;
    timings.unconsentedOnTopicMs = (await onTopic) - sentAt;
    console.log(
      `UNCONSENTED_DELIVERY on the page ${timings.unconsentedAppearMs} ms after the scan was produced ` +
        `(on the alerts topic after ${timings.unconsentedOnTopicMs} ms)`,
    );
    await shots.take(page, 'alert-appeared');

    await expectText(alert.getByTestId('alert-kind'), '未经同意投柜/自提');
    await expectText(alert.getByTestId('alert-kind'), 'UNCONSENTED_DELIVERY');
    await expectText(alert.getByTestId('alert-severity'), 'Critical');
    await expectText(alert.getByTestId('alert-handoff'), `${STATION} → ${route}`);
    await expectText(alert.getByTestId('alert-items'), item);
    expect(await alert.getByTestId('alert-item-count').textContent()).toBe('1');
    await expectText(alert.getByTestId('alert-acknowledged-by'), 'not acknowledged');
    await expectText(page.getByTestId('live-region'), 'UNCONSENTED_DELIVERY');

    unconsented = (await firing(STATION, 'UNCONSENTED_DELIVERY')) as Alert;
    expect(await alert.getAttribute('data-alert-id')).toBe(unconsented.alertId);
    // the other station's violation is firing in the API, but not for this token, and not on the page
    expect(await firing(OTHER, 'UNCONSENTED_DELIVERY')).toBeDefined();
    expect(await page.locator(`[data-facility-id="${OTHER}"]`).count()).toBe(0);

    expect(timings.unconsentedAppearMs).toBeGreaterThan(0);
    expect(timings.unconsentedAppearMs).toBeLessThan(APPEAR_LIMIT_MS);
  });

  it('acknowledges the alert and shows who acknowledged it', async () => {
    const alert = card(page, 'UNCONSENTED_DELIVERY', STATION);
    const clickedAt = Date.now();
    await alert.getByTestId('alert-ack-button').click();
    await expectText(alert.getByTestId('alert-acknowledged-by'), `acknowledged by ${SUPERVISOR}`);
    timings.acknowledgedShownMs = Date.now() - clickedAt;
    expect(await alert.getByTestId('alert-ack-button').count()).toBe(0);
    await shots.take(page, 'acknowledged');
    expect(
      (await get<Alert>(`/api/v1/alerts/${encodeURIComponent(unconsented.alertId)}`)).acknowledgedBy,
    ).toBe(SUPERVISOR);
  });

  it('resolves the violation, which leaves the firing list for the recently resolved one', async () => {
    const alert = card(page, 'UNCONSENTED_DELIVERY', STATION);
    await alert.getByTestId('alert-resolve-button').click();
    await shots.take(page, 'resolve-confirm');
    const clickedAt = Date.now();
    await alert.getByTestId('alert-resolve-confirm').click();
    await alert.waitFor({ state: 'detached', timeout: 30_000 });
    timings.resolvedShownMs = Date.now() - clickedAt;
    const resolved = page.locator(
      `[data-testid="resolved-list"] [data-testid="resolved-card"][data-alert-id="${unconsented.alertId}"]`,
    );
    await resolved.waitFor();
    await expectText(resolved, SUPERVISOR);
    await shots.take(page, 'resolved');
    expect((await get<Alert>(`/api/v1/alerts/${encodeURIComponent(unconsented.alertId)}`)).status).toBe(
      'RESOLVED',
    );
  });

  it('raises a feedback-overdue alert naming the item, and clears it by itself when the feedback arrives', async () => {
    const route = `${STATION}/R04`;
    const item = itemNumber('EB', 4003);
    const sentAt = Date.now();
    await produce([handover(item, STATION, route, Date.now() - 241 * MIN)]);
    const alert = card(page, 'FEEDBACK_OVERDUE', STATION);
    await alert.filter({ hasText: item }).waitFor({ timeout: 30_000 });
    timings.feedbackOverdueAppearMs = Date.now() - sentAt;
    await expectText(alert.getByTestId('alert-kind'), '投递反馈超时');
    await expectText(alert.getByTestId('alert-handoff'), route);
    await expectText(alert.getByTestId('alert-text'), 'no delivery feedback after 240 min');
    await shots.take(page, 'feedback-overdue');

    const deliveredAt = Date.now();
    await produce([feedback(item, route, Date.now(), 'DELIVERED')]);
    await alert.waitFor({ state: 'detached', timeout: 30_000 });
    timings.feedbackClearedMs = Date.now() - deliveredAt;
    await page
      .locator('[data-testid="resolved-list"] [data-testid="resolved-card"][data-kind="FEEDBACK_OVERDUE"]')
      .waitFor();
    await shots.take(page, 'feedback-arrived');
  });

  it('shows the stream reconnecting while the API is down, then catches up on what happened meanwhile', async () => {
    outage.from = errors.length;
    api.kill('SIGTERM');
    expect((await api.exited).code).toBe(0);
    await page
      .locator('[data-testid="connection-status"]:is([data-state="reconnecting"], [data-state="offline"])')
      .waitFor();
    await shots.take(page, 'api-down-reconnecting');

    const route = `${STATION}/R05`;
    const item = itemNumber('EA', 4004);
    await produce([handover(item, STATION, route, Date.now() - 10_000)]);
    await produce([feedback(item, route, Date.now(), 'LOCKER')]);
    await system.alerts.waitFor<Alert>('the violation on the alerts topic while the API is down', (values) =>
      values.some((a) => a.kind === 'UNCONSENTED_DELIVERY' && a.to === route),
    );

    api = new ServiceProcess('api', apiEnv);
    system.services.push(api);
    await page.locator('[data-testid="connection-status"][data-state="live"]').waitFor({ timeout: 60_000 });
    const missed = card(page, 'UNCONSENTED_DELIVERY', STATION).filter({ hasText: item });
    await missed.waitFor({ timeout: 30_000 });
    await shots.take(page, 'api-back-caught-up');
    outage.to = errors.length;
    // while the API was away the browser logged failed requests, and nothing else
    expect(
      errors.slice(outage.from, outage.to).filter((e) => !/ERR_CONNECTION_REFUSED|status of 503/.test(e)),
    ).toEqual([]);
  });

  it('shows the current shift ledger and the latest summaries, readable on a 390 px wide phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const ledger = page.locator(`[data-testid="ledger-facility"][data-facility-id="${STATION}"]`);
    await ledger.waitFor();
    await waitFor(async () => Number(await ledger.getByTestId('ledger-handedOut').textContent()) >= 1, {
      what: 'the hand-offs in the ledger panel',
      timeoutMs: 30_000,
    });
    await expectText(ledger.getByTestId('ledger-totals'), '交出');
    await expectText(ledger.getByTestId('ledger-totals'), 'Handed out');
    await page.getByTestId('summaries-panel').waitFor();
    // nothing wider than the phone: no sideways scrolling of the page
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shots.take(page, 'phone-390px');
    await shots.take(page, 'phone-390px-first-screen', false);
  });

  it('signs out, forgetting the token, and fetched nothing from outside the API', async () => {
    await page.getByTestId('signout-button').click();
    await page.getByTestId('signin-form').waitFor();
    expect(await page.evaluate<string | null>("sessionStorage.getItem('hbm.dashboard.token')")).toBeNull();
    expect(await page.getByTestId('board').isHidden()).toBe(true);
    await shots.take(page, 'signed-out');

    expect(refused).toEqual([]);
    // outside the outage the one expected console line is the browser's own for the wrong token (401)
    const outside = [...errors.slice(0, outage.from), ...errors.slice(outage.to)];
    expect(outside.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});

async function expectText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await waitFor(async () => ((await locator.textContent()) ?? '').includes(text), {
    what: `"${text}" in ${locator.toString()}`,
    timeoutMs: 15_000,
  });
}
