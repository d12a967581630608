/**
 * The notifier when receivers fail and when it is killed: a receiver that answers 500 or is gone for a
 * while gets everything once it is back; a notifier killed with SIGKILL mid-delivery and started again
 * loses nothing; what cannot be delivered within the retry window is abandoned, counted and visible.
 * Retry settings are short here (NOTIFIER_RETRY_BASE_SECONDS=0.2, NOTIFIER_RETRY_MAX_SECONDS=1) so
 * that an hour's outage plays out in seconds; the sender's logic is the same.
 */
import type { Alert } from '@app/contracts';
import { deliveryIdOf } from '@app/subscriptions';

import { alertOf } from '../libs/subscriptions/src/testing/fixtures';
import { waitFor } from './helpers/kafka';
import { waitWhileRunning } from './helpers/ledger-process';
import { deliveriesMetric, NotifierRig } from './helpers/notifier';
import { Receiver, signedWebhook, webhookSignatureOk, type ReceivedRequest } from './helpers/receivers';

jest.setTimeout(240_000);

const SECRET = 'hook-secret';
const SHORT_RETRIES = { NOTIFIER_RETRY_BASE_SECONDS: '0.2', NOTIFIER_RETRY_MAX_SECONDS: '1' };

function alerts(prefix: string, n: number, revisions = 1): Alert[] {
  const out: Alert[] = [];
  for (let rev = 1; rev <= revisions; rev++)
    for (let i = 0; i < n; i++) {
      const to = `ZJ-HZ-DS07/${prefix}${String(i).padStart(3, '0')}`;
      out.push(
        alertOf({ alertId: `FEEDBACK_OVERDUE|ZJ-HZ-DS07|2026-11-27/AM|ZJ-HZ-DS07|${to}`, to, revision: rev }),
      );
    }
  return out;
}

const idsOf = (list: Alert[]) => list.map((alert) => deliveryIdOf({ type: 'alert', alert }));

function received(requests: ReceivedRequest[]): string[] {
  return requests.flatMap((r) =>
    (JSON.parse(r.body) as { deliveries: { id: string }[] }).deliveries.map((d) => d.id),
  );
}

async function webhookSubscription(rig: NotifierRig, receiver: Receiver): Promise<string> {
  const { id } = await rig.subscribe({
    name: 'hook',
    channel: 'webhook',
    url: `${receiver.url}/hook`,
    secret: SECRET,
    facilities: ['ZJ-HZ-DS07'],
    deliver: ['alerts'],
  });
  return id;
}

describe('notifier under receiver outages', () => {
  const rig = new NotifierRig(SHORT_RETRIES);
  const receivers: Receiver[] = [];
  beforeAll(() => rig.setUp());
  afterAll(async () => {
    await rig.tearDown();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('delivers everything to a receiver that answered 500 and one that was gone, once they are back', async () => {
    const failing = await Receiver.start(signedWebhook(SECRET));
    const gone = await Receiver.start(signedWebhook(SECRET));
    receivers.push(failing, gone);
    failing.failing = true;
    await gone.down();
    const failingId = await webhookSubscription(rig, failing);
    const goneId = await webhookSubscription(rig, gone);
    const notifier = await rig.start();

    const sent = alerts('R', 30, 2);
    for (let i = 0; i < sent.length; i += 10) {
      await rig.sendAlerts(sent.slice(i, i + 10));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    // the failure is visible while it lasts: in the store (the API) and in metrics
    await waitWhileRunning(
      notifier,
      async () => {
        const [a, b] = await Promise.all([rig.store.get(failingId), rig.store.get(goneId)]);
        return a &&
          b &&
          a.delivery.pending === 60 &&
          b.delivery.pending === 60 &&
          a.delivery.failedAttempts >= 3 &&
          b.delivery.failedAttempts >= 3
          ? [a, b]
          : null;
      },
      { what: 'both subscriptions failing with 60 pending', timeoutMs: 60_000 },
    );
    const during = await Promise.all([rig.store.get(failingId), rig.store.get(goneId)]);
    expect(during[0]?.delivery.lastError).toBe('HTTP 500');
    expect(during[1]?.delivery.lastError).toMatch(/ECONNREFUSED/);
    expect(during[0]?.delivery.nextAttemptAt).toEqual(expect.any(String));
    expect(during[0]?.delivery.delivered).toBe(0);
    const text = await rig.metrics(notifier);
    expect(deliveriesMetric(text, 'webhook', 'retried')).toBeGreaterThan(0);
    await waitFor(
      async () => /^handover_notifier_failing_subscriptions 2$/m.test(await rig.metrics(notifier)),
      {
        what: 'handover_notifier_failing_subscriptions 2 (counted every 5 s)',
      },
    );

    failing.failing = false;
    await gone.up();
    const expected = new Set(idsOf(sent));
    for (const receiver of [failing, gone])
      await waitFor(() => new Set(received(receiver.accepted)).size === expected.size, {
        what: 'every alert revision at the receiver after its outage',
        timeoutMs: 60_000,
      });
    for (const receiver of [failing, gone]) {
      expect(new Set(received(receiver.accepted))).toEqual(expected);
      expect(receiver.accepted.every((r) => webhookSignatureOk(r, SECRET))).toBe(true);
    }
    const after = await rig.store.get(failingId);
    expect(after?.delivery).toMatchObject({
      pending: 0,
      delivered: 60,
      failedAttempts: 0,
      lastError: null,
      abandoned: 0,
    });
  });
});

describe('notifier killed mid-delivery', () => {
  const rig = new NotifierRig({ ...SHORT_RETRIES, NOTIFIER_SEND_TIMEOUT_SECONDS: '3' });
  const receivers: Receiver[] = [];
  beforeAll(() => rig.setUp());
  afterAll(async () => {
    await rig.tearDown();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('loses nothing when SIGKILLed while sending and started again, with more messages meanwhile', async () => {
    const slow = await Receiver.start(signedWebhook(SECRET));
    receivers.push(slow);
    slow.delayMs = 1_500; // requests are in flight long enough to be killed in the middle of one
    await webhookSubscription(rig, slow);
    const first = await rig.start();

    const before = alerts('K', 40);
    for (let i = 0; i < before.length; i += 5) await rig.sendAlerts(before.slice(i, i + 5));
    await waitWhileRunning(first, () => slow.all.length >= 1, {
      what: 'a request in flight at the slow receiver',
    });
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const meanwhile = alerts('M', 20);
    await rig.sendAlerts(meanwhile);
    slow.delayMs = 0;
    const second = await rig.start();

    const expected = new Set(idsOf([...before, ...meanwhile]));
    await waitWhileRunning(second, () => new Set(received(slow.accepted)).size === expected.size, {
      what: `all ${expected.size} revisions after the restart`,
      timeoutMs: 90_000,
    });
    expect(new Set(received(slow.accepted))).toEqual(expected);
  });

  it('finishes the send in flight on SIGTERM, records it, and exits 0', async () => {
    const notifier = rig.notifiers[rig.notifiers.length - 1];
    const slow = receivers[0];
    slow.delayMs = 2_000;
    const seen = slow.all.length;
    const last = alerts('T', 3);
    await rig.sendAlerts(last);
    await waitWhileRunning(notifier, () => slow.all.length > seen, {
      what: 'a request in flight at the slow receiver',
    });
    notifier.kill('SIGTERM');
    expect(await notifier.exited).toEqual({ code: 0, signal: null });
    const sub = (await rig.store.list())[0];
    // what the request in flight carried was recorded as delivered before the process exited
    const inFlight = received(slow.all.slice(seen));
    expect(inFlight.length).toBeGreaterThan(0);
    expect(sub.delivery.pending).toBe(3 - new Set(inFlight.filter((id) => id.includes('/T'))).size);
    expect(notifier.output.some((line) => line.includes('stopped sending'))).toBe(true);
  });
});

describe('notifier giving up', () => {
  // NOTIFIER_GIVE_UP_HOURS defaults to 48; here 0.0005 h = 1.8 s
  const rig = new NotifierRig({ ...SHORT_RETRIES, NOTIFIER_GIVE_UP_HOURS: '0.0005' });
  const receivers: Receiver[] = [];
  beforeAll(() => rig.setUp());
  afterAll(async () => {
    await rig.tearDown();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('abandons what stays undeliverable past the retry window, and says so in the store and metrics', async () => {
    const dead = await Receiver.start();
    receivers.push(dead);
    dead.failing = true;
    const id = await webhookSubscription(rig, dead);
    const notifier = await rig.start();
    await rig.sendAlerts(alerts('A', 5));
    await waitWhileRunning(
      notifier,
      async () => {
        const sub = await rig.store.get(id);
        return sub && sub.delivery.abandoned === 5 && sub.delivery.pending === 0 ? sub.delivery : null;
      },
      { what: '5 abandoned deliveries', timeoutMs: 60_000 },
    );
    const state = (await rig.store.get(id))?.delivery;
    expect(state?.delivered).toBe(0);
    expect(state?.lastError).toBe('HTTP 500');
    await waitFor(async () => deliveriesMetric(await rig.metrics(notifier), 'webhook', 'abandoned') === 5, {
      what: 'handover_deliveries_total{channel="webhook",result="abandoned"} 5',
    });
    expect(notifier.output.some((line) => line.includes('abandoned deliveries after the retry window'))).toBe(
      true,
    );
  });
});
