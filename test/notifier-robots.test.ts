/**
 * Chat robots paced the way their vendors count: a robot's "too fast" answer pauses it for the
 * vendor's block, for every subscription on it and without retrying into it; a Feishu bot gets at
 * most 5 messages a second. The robot minute is shortened to 1 s here (NOTIFIER_ROBOT_MINUTE_SECONDS;
 * 61 s in production), so DingTalk's ten-minute block lasts 10 s; test/notifier.test.ts paces a
 * robot to its 20 messages a minute, with a minute of 3 s.
 */
import type { Alert } from '@app/contracts';
import { deliveryIdOf } from '@app/subscriptions';

import { alertOf } from '../libs/subscriptions/src/testing/fixtures';
import { waitFor } from './helpers/kafka';
import { deliveriesMetric, NotifierRig } from './helpers/notifier';
import {
  dingtalkRobot,
  dingtalkToken,
  feishuBot,
  Receiver,
  type ReceivedRequest,
  type Responder,
} from './helpers/receivers';

jest.setTimeout(120_000);

const SECRET = 'SECrobot0123456789';
const ROBOT_MINUTE_MS = 1_000;
const DINGTALK_BLOCK_MS = 10 * ROBOT_MINUTE_MS;

function alertFor(route: string, revision = 1): Alert {
  const to = `ZJ-HZ-DS21/${route}`;
  return alertOf({
    alertId: `FEEDBACK_OVERDUE|ZJ-HZ-DS21|2026-11-27/AM|ZJ-HZ-DS21|${to}`,
    facilityId: 'ZJ-HZ-DS21',
    from: 'ZJ-HZ-DS21',
    to,
    revision,
  });
}

/** The "`<alertId>` rev N" marks in messages. */
function revisionsIn(requests: ReceivedRequest[], text: (r: ReceivedRequest) => string): Set<string> {
  const found = new Set<string>();
  for (const r of requests)
    for (const m of text(r).matchAll(/`([^`]+)` rev (\d+)/g)) found.add(`A|${m[1]}|${m[2]}`);
  return found;
}
const dingtalkText = (r: ReceivedRequest) =>
  (JSON.parse(r.body) as { markdown: { text: string } }).markdown.text;
const feishuText = (r: ReceivedRequest) =>
  (JSON.parse(r.body) as { card: { elements: { content: string }[] } }).card.elements[0].content;

describe('chat robots paced as their vendors count', () => {
  const rig = new NotifierRig({ NOTIFIER_ROBOT_MINUTE_SECONDS: String(ROBOT_MINUTE_MS / 1000) });
  const receivers: Receiver[] = [];
  beforeAll(async () => {
    await rig.setUp();
    await rig.start();
  });
  afterAll(async () => {
    await rig.tearDown();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('pauses a DingTalk robot that answered 130101 for its block, for every subscription on it, and not another robot', async () => {
    // the robot answers 130101 once, as when someone else has used up its minute, and DingTalk then blocks it
    const normal = dingtalkRobot(SECRET);
    let refusedAt = 0;
    const robotAnswer: Responder = (request, receiver) => {
      if (dingtalkToken(request) === 'busy' && refusedAt === 0) {
        refusedAt = request.at;
        return { status: 200, body: JSON.stringify({ errcode: 130101, errmsg: 'send too fast' }) };
      }
      return normal(request, receiver);
    };
    const robot = await Receiver.start(robotAnswer);
    receivers.push(robot);
    const subscribe = (name: string, token: string) =>
      rig.subscribe({
        name,
        channel: 'dingtalk',
        url: `${robot.url}/robot/send?access_token=${token}&sub=${name}`,
        secret: SECRET,
        facilities: ['ZJ-HZ-DS21'],
        deliver: ['alerts'],
      });
    const [x, y] = await Promise.all([
      subscribe('x', 'busy'),
      subscribe('y', 'busy'),
      subscribe('z', 'calm'),
    ]);

    const first = alertFor('R01');
    await rig.sendAlerts([first]);
    await waitFor(() => refusedAt > 0, { what: 'the robot to answer 130101' });
    const refused = await waitFor(
      async () => {
        const subs = await Promise.all([x, y].map((s) => rig.store.get(s.id)));
        return subs.find((s) => s?.delivery.lastError) ?? null;
      },
      { what: 'the refusal recorded' },
    );
    expect(refused?.delivery).toMatchObject({ lastError: 'dingtalk errcode 130101', failedAttempts: 1 });
    const second = alertFor('R02');
    await rig.sendAlerts([second]);

    const ids = new Set([first, second].map((alert) => deliveryIdOf({ type: 'alert', alert })));
    const of = (name: string) => robot.accepted.filter((r) => r.url.searchParams.get('sub') === name);
    // the other robot is not paused: it has both at once
    await waitFor(() => revisionsIn(of('z'), dingtalkText).size === 2, {
      what: 'both alerts at the calm robot',
    });
    expect(Date.now() - refusedAt).toBeLessThan(DINGTALK_BLOCK_MS - 2_000);
    await waitFor(
      () => revisionsIn(of('x'), dingtalkText).size === 2 && revisionsIn(of('y'), dingtalkText).size === 2,
      { what: 'both alerts at the busy robot for both subscriptions', timeoutMs: 60_000 },
    );
    expect(revisionsIn(of('x'), dingtalkText)).toEqual(ids);
    // nothing reached the busy robot during its block, from either subscription, but a send already on
    // its way when the answer came (the other subscription's, sent before the pause was recorded)
    const IN_FLIGHT_MS = 500;
    const busy = robot.all.filter((r) => dingtalkToken(r) === 'busy' && r.at > refusedAt + IN_FLIGHT_MS);
    expect(busy.length).toBeGreaterThan(0);
    expect(Math.min(...busy.map((r) => r.at)) - refusedAt).toBeGreaterThanOrEqual(DINGTALK_BLOCK_MS - 100);
    expect(robot.all.filter((r) => r.at > refusedAt)).toHaveLength(
      robot.accepted.filter((r) => r.at > refusedAt).length,
    );
    const text = await rig.metrics(rig.notifiers[0]);
    expect(deliveriesMetric(text, 'dingtalk', '130101')).toBe(1);
    expect(deliveriesMetric(text, 'dingtalk', 'other')).toBe(0);
    await waitFor(async () => (await rig.store.get(refused?.id ?? ''))?.delivery.lastError === null, {
      what: 'the refused subscription healthy again',
    });
  });

  it('sends a Feishu bot at most 5 messages a second, merging the rest, none refused', async () => {
    const bot = await Receiver.start(feishuBot(SECRET));
    receivers.push(bot);
    await rig.subscribe({
      name: 'feishu',
      channel: 'feishu',
      url: `${bot.url}/open-apis/bot/v2/hook/pace`,
      secret: SECRET,
      facilities: ['ZJ-HZ-DS21'],
      deliver: ['alerts'],
    });
    // 60 changes over about 3 s: more than 5 messages a second without pacing
    const changes = Array.from({ length: 60 }, (_, i) => alertFor(`P${String(i).padStart(2, '0')}`));
    for (const alert of changes) {
      await rig.sendAlerts([alert]);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    const expected = new Set(changes.map((alert) => deliveryIdOf({ type: 'alert', alert })));
    await waitFor(() => revisionsIn(bot.accepted, feishuText).size === expected.size, {
      what: `all 60 changes at the bot (${revisionsIn(bot.accepted, feishuText).size} so far)`,
      timeoutMs: 60_000,
    });
    expect(bot.all).toHaveLength(bot.accepted.length); // no 11232
    expect(bot.accepted.length).toBeGreaterThan(5);
    for (const r of bot.accepted) expect(bot.acceptedWithin(1_000, r.at).length).toBeLessThanOrEqual(5);
    expect(bot.accepted.length).toBeLessThan(60); // merged
  });
});
