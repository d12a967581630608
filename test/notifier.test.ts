/**
 * The notifier against real Kafka and Redis, delivering to local HTTP receivers that answer and check
 * as each channel's real receiver does (signatures, size limit, a robot's 20 messages a minute).
 */
import type { Alert } from '@app/contracts';
import { deliveryIdOf } from '@app/subscriptions';

import { alertOf, summaryOf } from '../libs/subscriptions/src/testing/fixtures';
import { waitFor } from './helpers/kafka';
import { deliveriesMetric, NotifierRig } from './helpers/notifier';
import {
  alertmanagerApi,
  dingtalkRobot,
  dingtalkSignatureOk,
  feishuBot,
  Receiver,
  signedWebhook,
  webhookSignatureOk,
  wecomRobot,
  type ReceivedRequest,
} from './helpers/receivers';

jest.setTimeout(240_000);

const SECRET = 'SEC0123456789abcdef';

/** The "`<alertId>` rev N" marks a chat message carries. */
function revisionsIn(requests: ReceivedRequest[], text: (r: ReceivedRequest) => string): Set<string> {
  const found = new Set<string>();
  for (const r of requests)
    for (const m of text(r).matchAll(/`([^`]+)` rev (\d+)/g)) found.add(`A|${m[1]}|${m[2]}`);
  return found;
}

const dingtalkText = (r: ReceivedRequest) =>
  (JSON.parse(r.body) as { markdown: { text: string } }).markdown.text;

function alertRevisions(n: number, perAlert: number): Alert[] {
  const out: Alert[] = [];
  for (let i = 0; i < n; i++) {
    const to = `ZJ-HZ-DS07/R${String(i).padStart(2, '0')}`;
    for (let rev = 1; rev <= perAlert; rev++)
      out.push(
        alertOf({
          alertId: `FEEDBACK_OVERDUE|ZJ-HZ-DS07|2026-11-27/AM|ZJ-HZ-DS07|${to}`,
          to,
          revision: rev,
          itemCount: rev,
          items: Array.from({ length: rev }, (_, k) => `EA${String(k).padStart(8, '0')}5CN`),
          text: `${rev} express items handed to ${to} have no delivery feedback after 240 min`,
        }),
      );
  }
  return out;
}

describe('notifier channels', () => {
  const rig = new NotifierRig(30);
  const receivers: Receiver[] = [];

  beforeAll(() => rig.setUp());
  afterAll(async () => {
    await rig.tearDown();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('delivers alerts and summaries to each channel in its format, signed, and only what each subscription asked for', async () => {
    const [webhook, dingtalk, wecom, feishu, am, onlyOrphans, otherFacility] = await Promise.all([
      Receiver.start(signedWebhook(SECRET)),
      Receiver.start(dingtalkRobot(SECRET)),
      Receiver.start(wecomRobot()),
      Receiver.start(feishuBot(SECRET)),
      Receiver.start(alertmanagerApi()),
      Receiver.start(),
      Receiver.start(),
    ]);
    receivers.push(webhook, dingtalk, wecom, feishu, am, onlyOrphans, otherFacility);
    const everything = {
      facilities: ['ZJ-HZ-DS07'],
      deliver: ['alerts', 'summaries'] as ('alerts' | 'summaries')[],
    };
    const subs = {
      webhook: await rig.subscribe({
        name: 'hook',
        channel: 'webhook',
        url: `${webhook.url}/hook`,
        secret: SECRET,
        ...everything,
      }),
      dingtalk: await rig.subscribe({
        name: '钉钉 DS07',
        channel: 'dingtalk',
        url: `${dingtalk.url}/robot/send?access_token=tok`,
        secret: SECRET,
        ...everything,
      }),
      wecom: await rig.subscribe({
        name: 'wecom',
        channel: 'wecom',
        url: `${wecom.url}/cgi-bin/webhook/send?key=k`,
        ...everything,
      }),
      feishu: await rig.subscribe({
        name: 'feishu',
        channel: 'feishu',
        url: `${feishu.url}/open-apis/bot/v2/hook/x`,
        secret: SECRET,
        ...everything,
      }),
      alertmanager: await rig.subscribe({ name: 'am', channel: 'alertmanager', url: am.url, ...everything }),
    };
    await rig.subscribe({
      name: 'orphans only',
      channel: 'webhook',
      url: onlyOrphans.url,
      facilities: ['*'],
      deliver: ['alerts'],
      kinds: ['ORPHAN_CLOSURE'],
    });
    await rig.subscribe({
      name: 'PC01',
      channel: 'webhook',
      url: otherFacility.url,
      facilities: ['ZJ-HZ-PC01'],
      deliver: ['alerts', 'summaries'],
    });
    const notifier = await rig.start();

    const feedback1 = alertOf({ revision: 1 });
    const feedback2 = alertOf({ revision: 2, status: 'RESOLVED', endsAt: '2026-11-27T05:00:00.000Z' });
    const orphan = alertOf({
      alertId: 'ORPHAN_CLOSURE|ZJ-HZ-DS07|2026-11-27/AM||ZJ-HZ-DS07/R03',
      kind: 'ORPHAN_CLOSURE',
      severity: 'warning',
      from: null,
      itemCount: 1,
      items: ['EC000000028CN'],
      text: '1 delivery feedback on ZJ-HZ-DS07/R03 has no hand-off',
    });
    const summary = summaryOf();
    await rig.sendAlerts([feedback1, orphan]);
    await rig.sendSummaries([summary]);
    await rig.sendAlerts([feedback2]);
    // the same revision again, as after a Kafka redelivery: not delivered twice
    await rig.sendAlerts([feedback1]);

    const alertIds = [feedback1, orphan, feedback2].map((a) => deliveryIdOf({ type: 'alert', alert: a }));
    const allIds = [...alertIds, deliveryIdOf({ type: 'summary', summary })];

    // what each subscription is due: 3 alert revisions and a summary; Alertmanager the alerts only
    const due = { webhook: 4, dingtalk: 4, wecom: 4, feishu: 4, alertmanager: 3 };
    await waitFor(
      async () => {
        for (const [name, n] of Object.entries(due)) {
          const sub = await rig.store.get(subs[name as keyof typeof subs].id);
          if (sub?.delivery.delivered !== n || sub.delivery.pending !== 0) return false;
        }
        return onlyOrphans.accepted.length > 0;
      },
      { what: `every subscription to be delivered; notifier said:\n${notifier.tail()}`, timeoutMs: 60_000 },
    );

    // webhook: signed over the exact body, every revision once
    const hooked = webhook.accepted.flatMap((r) =>
      (JSON.parse(r.body) as { deliveries: { id: string }[] }).deliveries.map((d) => d.id),
    );
    expect(webhook.all.every((r) => webhookSignatureOk(r, SECRET))).toBe(true);
    expect(hooked.sort()).toEqual([...allIds].sort());
    expect(webhook.all).toHaveLength(webhook.accepted.length);

    // dingtalk: markdown, signed in the query string; the robot refused nothing
    expect(dingtalk.all).toHaveLength(dingtalk.accepted.length);
    for (const r of dingtalk.accepted) {
      expect(dingtalkSignatureOk(r, SECRET)).toBe(true);
      expect(r.url.searchParams.get('access_token')).toBe('tok');
      expect(JSON.parse(r.body)).toMatchObject({
        msgtype: 'markdown',
        markdown: { title: expect.any(String), text: expect.any(String) },
      });
    }
    expect(revisionsIn(dingtalk.accepted, dingtalkText)).toEqual(new Set(alertIds));
    expect(dingtalk.accepted.map(dingtalkText).join('\n')).toContain(
      '班次汇总 Shift summary ZJ-HZ-DS07 2026-11-27/AM',
    );

    // wecom: markdown content within 4,096 bytes
    expect(wecom.all).toHaveLength(wecom.accepted.length);
    const wecomText = (r: ReceivedRequest) =>
      (JSON.parse(r.body) as { msgtype: string; markdown: { content: string } }).markdown.content;
    expect(revisionsIn(wecom.accepted, wecomText)).toEqual(new Set(alertIds));

    // feishu: signed in the body, an interactive card with markdown
    expect(feishu.all).toHaveLength(feishu.accepted.length);
    const feishuText = (r: ReceivedRequest) =>
      (JSON.parse(r.body) as { card: { elements: { content: string }[] } }).card.elements[0].content;
    expect(revisionsIn(feishu.accepted, feishuText)).toEqual(new Set(alertIds));

    // alertmanager: alerts only, labels identifying each, RESOLVED with its endsAt
    const posted = am.accepted.flatMap(
      (r) => JSON.parse(r.body) as { labels: Record<string, string>; endsAt: string }[],
    );
    expect(am.accepted.every((r) => r.url.pathname === '/api/v2/alerts')).toBe(true);
    expect(posted.map((a) => `${a.labels.alertname} ${a.endsAt}`).sort()).toEqual(
      [
        `FEEDBACK_OVERDUE ${feedback2.endsAt}`,
        expect.stringMatching(/^FEEDBACK_OVERDUE /),
        expect.stringMatching(/^ORPHAN_CLOSURE /),
      ].sort(),
    );
    expect(posted).toHaveLength(3);
    expect(posted.every((a) => a.labels.facility === 'ZJ-HZ-DS07' && a.labels.alertId)).toBe(true);

    // filters: a kind filter over every facility, and another facility's subscription
    const orphansOnly = onlyOrphans.accepted.flatMap((r) =>
      (JSON.parse(r.body) as { deliveries: { id: string }[] }).deliveries.map((d) => d.id),
    );
    expect(orphansOnly).toEqual([deliveryIdOf({ type: 'alert', alert: orphan })]);
    expect(otherFacility.all).toHaveLength(0);

    // the delivery state in the API's store, and in metrics
    const hook = await rig.store.get(subs.webhook.id);
    expect(hook?.delivery).toMatchObject({
      pending: 0,
      delivered: 4,
      failedAttempts: 0,
      abandoned: 0,
      lastError: null,
      nextAttemptAt: null,
    });
    expect(hook?.delivery.lastDeliveredAt).toEqual(expect.any(String));
    expect(hook?.hasSecret).toBe(true);
    expect(JSON.stringify(await rig.store.list())).not.toContain(SECRET);
    const text = await rig.metrics(notifier);
    expect(deliveriesMetric(text, 'webhook', 'delivered')).toBe(5);
    expect(deliveriesMetric(text, 'alertmanager', 'delivered')).toBe(3);
    expect(deliveriesMetric(text, 'feishu', 'retried')).toBe(0);
    expect(deliveriesMetric(text, 'dingtalk', 'abandoned')).toBe(0);
  });

  it('merges what is due for a chat robot into at most 20 messages a minute, with every revision in them', async () => {
    const robot = await Receiver.start(dingtalkRobot(SECRET, 20));
    receivers.push(robot);
    await rig.subscribe({
      name: 'busy robot',
      channel: 'dingtalk',
      url: `${robot.url}/robot/send?access_token=busy`,
      secret: SECRET,
      facilities: ['ZJ-HZ-DS07'],
      deliver: ['alerts'],
    });
    // 50 revisions of 10 alerts, one at a time: each would be a message of its own without merging
    const revisions = alertRevisions(10, 5).sort((a, b) => a.revision - b.revision);
    const expected = new Set(revisions.map((a) => deliveryIdOf({ type: 'alert', alert: a })));
    for (const alert of revisions) {
      await rig.sendAlerts([alert]);
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    await waitFor(() => revisionsIn(robot.accepted, dingtalkText).size >= expected.size, {
      what: `all 50 revisions at the robot (${revisionsIn(robot.accepted, dingtalkText).size} so far)`,
      timeoutMs: 150_000,
      intervalMs: 500,
    });
    expect(revisionsIn(robot.accepted, dingtalkText)).toEqual(expected);
    // the robot refused nothing (it answers 130101 to a 21st message within a minute)
    expect(robot.all).toHaveLength(robot.accepted.length);
    expect(robot.accepted.length).toBeLessThan(50);
    for (const r of robot.accepted) expect(robot.acceptedWithin(60_000, r.at).length).toBeLessThanOrEqual(20);
    expect(robot.accepted.some((r) => /\d+ updates 条更新/.test(dingtalkText(r)))).toBe(true);
  });
});
