/**
 * The notifier against real Kafka, Redis and Alertmanager, delivering to local HTTP receivers that
 * answer and check as each chat robot and webhook does (signatures, size limits, mentions, a robot's
 * 20 messages a minute per token). The robot minute is shortened to 3 s (NOTIFIER_ROBOT_MINUTE_SECONDS;
 * 61 s in production), and the robot that checks the pacing counts its 20 messages over 2 s: the
 * notifier's minute is a second longer than the vendor's, as in production (61 s against 60).
 */
import type { Alert } from '@app/contracts';
import { deliveryIdOf } from '@app/subscriptions';

import { alertOf, summaryOf } from '../libs/subscriptions/src/testing/fixtures';
import { AlertmanagerServer } from './helpers/alertmanager';
import { waitFor } from './helpers/kafka';
import { deliveriesMetric, NotifierRig } from './helpers/notifier';
import {
  dingtalkRobot,
  dingtalkSignatureOk,
  feishuBot,
  Receiver,
  signedWebhook,
  webhookSignatureOk,
  wecomRobot,
  type ReceivedRequest,
} from './helpers/receivers';

jest.setTimeout(120_000);

const SECRET = 'SEC0123456789abcdef';
/** the notifier's robot minute here (NOTIFIER_ROBOT_MINUTE_SECONDS) */
const ROBOT_MINUTE_MS = 3_000;
/** the minute the pacing test's robot counts its 20 messages over: a second less, as in production */
const VENDOR_MINUTE_MS = ROBOT_MINUTE_MS - 1_000;
const PER_MINUTE = 20;

/** The "`<alertId>` rev N" marks a chat message carries. */
function revisionsIn(requests: ReceivedRequest[], text: (r: ReceivedRequest) => string): Set<string> {
  const found = new Set<string>();
  for (const r of requests)
    for (const m of text(r).matchAll(/`([^`]+)` rev (\d+)/g)) found.add(`A|${m[1]}|${m[2]}`);
  return found;
}

const dingtalkText = (r: ReceivedRequest) =>
  (JSON.parse(r.body) as { markdown: { text: string } }).markdown.text;

/** A WeCom message's content: markdown, or text when it mentions somebody. */
const wecomText = (r: ReceivedRequest) => {
  const body = JSON.parse(r.body) as { markdown?: { content: string }; text?: { content: string } };
  return body.markdown?.content ?? body.text?.content ?? '';
};

const MENTIONS = { mobiles: ['13800000001'], userIds: ['ops-lead'] };

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
  const rig = new NotifierRig({ NOTIFIER_ROBOT_MINUTE_SECONDS: String(ROBOT_MINUTE_MS / 1000) });
  const receivers: Receiver[] = [];
  let alertmanager: AlertmanagerServer | undefined;

  beforeAll(() => rig.setUp());
  afterAll(async () => {
    await rig.tearDown();
    await Promise.all(receivers.map((r) => r.close()));
    await alertmanager?.close();
  });

  it('delivers alerts and summaries to each channel in its format, signed, and only what each subscription asked for', async () => {
    const [webhook, dingtalk, wecom, feishu, onlyOrphans, otherFacility] = await Promise.all([
      Receiver.start(signedWebhook(SECRET)),
      Receiver.start(dingtalkRobot(SECRET)),
      Receiver.start(wecomRobot()),
      Receiver.start(feishuBot(SECRET)),
      Receiver.start(),
      Receiver.start(),
    ]);
    receivers.push(webhook, dingtalk, wecom, feishu, onlyOrphans, otherFacility);
    const am = await AlertmanagerServer.start();
    alertmanager = am;
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
        mentions: { ...MENTIONS, minSeverity: 'critical' },
        ...everything,
      }),
      wecom: await rig.subscribe({
        name: 'wecom',
        channel: 'wecom',
        url: `${wecom.url}/cgi-bin/webhook/send?key=k`,
        mentions: { ...MENTIONS, minSeverity: 'critical' },
        ...everything,
      }),
      feishu: await rig.subscribe({
        name: 'feishu',
        channel: 'feishu',
        url: `${feishu.url}/open-apis/bot/v2/hook/x`,
        secret: SECRET,
        mentions: { userIds: ['ou_lead'], minSeverity: 'critical' },
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
    // the critical FIRING alert rings the supervisor's phone; a message without one rings nobody
    const atOf = (r: ReceivedRequest) => (JSON.parse(r.body) as { at?: { atMobiles: string[] } }).at;
    const rang = dingtalk.accepted.filter((r) => atOf(r));
    expect(rang.length).toBeGreaterThan(0);
    for (const r of rang) {
      expect(atOf(r)?.atMobiles).toEqual(['13800000001']);
      expect(dingtalkText(r)).toContain('@13800000001 @ops-lead');
      expect(dingtalkText(r)).toMatch(/FIRING 告警 critical|FIRING 告警 反馈超时/);
    }
    for (const r of dingtalk.accepted.filter((m) => !atOf(m))) expect(dingtalkText(r)).not.toContain('@1380');
    expect(dingtalk.accepted.map(dingtalkText).join('\n')).toContain(
      '班次汇总 Shift summary ZJ-HZ-DS07 2026-11-27/AM',
    );

    // wecom: markdown content within 4,096 bytes, or text with the mentions (the robot refuses either past its limit)
    expect(wecom.all).toHaveLength(wecom.accepted.length);
    expect(revisionsIn(wecom.accepted, wecomText)).toEqual(new Set(alertIds));
    const mentioned = wecom.accepted
      .map((r) => JSON.parse(r.body) as { msgtype: string; text?: { mentioned_mobile_list: string[] } })
      .filter((b) => b.msgtype === 'text');
    expect(mentioned.length).toBeGreaterThan(0);
    expect(mentioned.every((b) => b.text?.mentioned_mobile_list[0] === '13800000001')).toBe(true);

    // feishu: signed in the body, an interactive card with markdown
    expect(feishu.all).toHaveLength(feishu.accepted.length);
    const feishuText = (r: ReceivedRequest) =>
      (JSON.parse(r.body) as { card: { elements: { content: string }[] } }).card.elements[0].content;
    expect(revisionsIn(feishu.accepted, feishuText)).toEqual(new Set(alertIds));
    expect(feishu.accepted.some((r) => feishuText(r).includes('<at id=ou_lead></at>'))).toBe(true);

    // alertmanager (the real one): the orphan closure firing, the resolved feedback alert not listed
    // (it was received as resolved), labels identifying each; no summary
    const listed = await am.alertsById();
    expect([...listed.keys()]).toEqual([orphan.alertId]);
    expect(listed.get(orphan.alertId)).toMatchObject({
      labels: { alertname: 'ORPHAN_CLOSURE', facility: 'ZJ-HZ-DS07', severity: 'warning' },
      status: { state: 'active' },
    });
    expect(await am.metric('alertmanager_alerts_received_total', { status: 'resolved' })).toBeGreaterThan(0);
    expect(await am.metric('alertmanager_alerts_invalid_total')).toBe(0);

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
    expect(deliveriesMetric(text, 'dingtalk', '130101')).toBe(0);
    expect(deliveriesMetric(text, 'alertmanager', 'rejected')).toBe(0);
    expect(deliveriesMetric(text, 'dingtalk', 'abandoned')).toBe(0);
  });

  it('paces two subscriptions on one DingTalk robot at 20 messages a minute between them, through a burst of 200 alert changes, none refused', async () => {
    // the robot's vendor counts per access token: 130101 for a 21st message within a minute
    const robot = await Receiver.start(dingtalkRobot(SECRET, [{ ms: VENDOR_MINUTE_MS, max: PER_MINUTE }]));
    receivers.push(robot);
    // the same robot (token); `sub` only tells the test whose message it is (DingTalk ignores it)
    const [a, b] = await Promise.all(
      ['a', 'b'].map((who) =>
        rig.subscribe({
          name: `shift lead ${who}`,
          channel: 'dingtalk',
          url: `${robot.url}/robot/send?access_token=shared&sub=${who}`,
          secret: SECRET,
          facilities: ['ZJ-HZ-DS07'],
          deliver: ['alerts'],
        }),
      ),
    );
    // 200 changes: 5 revisions of 40 alerts, one at a time over two robot minutes, so that the budget
    // of a minute runs out however fast the notifier sends; each would be a message of its own without merging
    const revisions = alertRevisions(40, 5).sort((x, y) => x.revision - y.revision);
    const expected = new Set(revisions.map((alert) => deliveryIdOf({ type: 'alert', alert })));
    const startedAt = Date.now();
    for (const [i, alert] of revisions.entries()) {
      await rig.sendAlerts([alert]);
      const due = startedAt + ((i + 1) * 2 * ROBOT_MINUTE_MS) / revisions.length - Date.now();
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
    }
    const burstMs = Date.now() - startedAt;
    const of = (who: string) => robot.accepted.filter((r) => r.url.searchParams.get('sub') === who);
    await waitFor(
      () =>
        revisionsIn(of('a'), dingtalkText).size === expected.size &&
        revisionsIn(of('b'), dingtalkText).size === expected.size,
      {
        what: `all 200 revisions at the robot for both subscriptions (${revisionsIn(of('a'), dingtalkText).size} and ${revisionsIn(of('b'), dingtalkText).size} so far)`,
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
    const tookMs = Date.now() - startedAt;
    expect(revisionsIn(of('a'), dingtalkText)).toEqual(expected);
    expect(revisionsIn(of('b'), dingtalkText)).toEqual(expected);
    // none refused (no 130101), and never more than 20 in any minute, both subscriptions together
    expect(robot.all).toHaveLength(robot.accepted.length);
    const perMinute = robot.accepted.map((r) => robot.acceptedWithin(VENDOR_MINUTE_MS, r.at).length);
    expect(Math.max(...perMinute)).toBeLessThanOrEqual(PER_MINUTE);
    // paced, not only merged: more than a minute's budget in all, so sent over several minutes
    expect(robot.accepted.length).toBeGreaterThan(PER_MINUTE);
    expect(of('a').length).toBeGreaterThan(0);
    expect(of('b').length).toBeGreaterThan(0);
    expect(robot.accepted.some((r) => /\d+ updates 条更新/.test(dingtalkText(r)))).toBe(true);
    const [subA, subB] = await Promise.all([rig.store.get(a.id), rig.store.get(b.id)]);
    expect(subA?.delivery).toMatchObject({ delivered: 200, pending: 0, failedAttempts: 0 });
    expect(subB?.delivery).toMatchObject({ delivered: 200, pending: 0, failedAttempts: 0 });
    const firstMinute = robot.accepted.filter((r) => r.at < robot.accepted[0].at + ROBOT_MINUTE_MS).length;
    console.log(
      `one DingTalk robot, two subscriptions, 200 alert changes sent in ${burstMs} ms: ` +
        `${of('a').length} + ${of('b').length} = ${robot.accepted.length} messages in ${(tookMs / 1000).toFixed(1)} s, ` +
        `${firstMinute} in the first ${ROBOT_MINUTE_MS / 1000} s minute, ` +
        `at most ${Math.max(...perMinute)} in any ${VENDOR_MINUTE_MS / 1000} s, ` +
        `${robot.all.length - robot.accepted.length} refused`,
    );
  });
});
