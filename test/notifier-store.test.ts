/** The subscription store and delivery queues against the real Redis. */
import Redis from 'ioredis';

import {
  AlertmanagerState,
  DeliveryQueue,
  RobotBudget,
  robotKeyOf,
  SubscriptionInput,
  SubscriptionStore,
  subscriptionKeys,
} from '@app/subscriptions';

import { alertOf } from '../libs/subscriptions/src/testing/fixtures';
import { uniqueRedisUrl } from './helpers/redis';

let redis: Redis;
let store: SubscriptionStore;
let queue: DeliveryQueue;

beforeAll(async () => {
  redis = new Redis(await uniqueRedisUrl());
  store = new SubscriptionStore(redis);
  queue = new DeliveryQueue(redis);
});
afterAll(() => redis.disconnect());

const input = SubscriptionInput.parse({
  name: 'DS07 站长',
  channel: 'dingtalk',
  url: 'https://oapi.dingtalk.com/robot/send?access_token=abc',
  secret: 'SECsecret',
  facilities: ['ZJ-HZ-DS07'],
  deliver: ['alerts'],
  kinds: ['FEEDBACK_OVERDUE'],
});

it('stores a subscription, returns it without its secret, lists and deletes it', async () => {
  const created = await store.create(input, 'hz-supervisor');
  expect(created).toMatchObject({
    name: 'DS07 站长',
    channel: 'dingtalk',
    hasSecret: true,
    createdBy: 'hz-supervisor',
  });
  expect(created).not.toHaveProperty('secret');
  expect(created.delivery).toEqual({
    pending: 0,
    delivered: 0,
    failedAttempts: 0,
    lastDeliveredAt: null,
    lastAttemptAt: null,
    lastError: null,
    nextAttemptAt: null,
    abandoned: 0,
    rejected: 0,
  });
  expect(await store.get(created.id)).toEqual(created);
  expect((await store.list()).map((s) => s.id)).toContain(created.id);
  expect(JSON.stringify(await store.list())).not.toContain('SECsecret');
  expect((await store.getWithSecret(created.id))?.secret).toBe('SECsecret');
  expect(await store.delete(created.id)).toBe(true);
  expect(await store.get(created.id)).toBeNull();
  expect(await store.delete(created.id)).toBe(false);
});

it("masks the credentials in a subscription's URL wherever it is shown, and gives the notifier the URL whole", async () => {
  const withToken = await store.create(input, 'hz-supervisor');
  const withUserinfo = await store.create(
    { ...input, channel: 'webhook', url: 'https://desk:PASSwebhook@hooks.example.com/hbm' },
    'hz-supervisor',
  );
  expect(withToken.url).toBe('https://oapi.dingtalk.com/robot/send?access_token=***');
  expect(withUserinfo.url).toBe('https://***:***@hooks.example.com/hbm');
  expect((await store.get(withToken.id))?.url).toBe(withToken.url);
  const shown = JSON.stringify(await store.list());
  expect(shown).not.toContain('access_token=abc');
  expect(shown).not.toContain('PASSwebhook');
  expect((await store.getWithSecret(withToken.id))?.url).toBe(input.url);
  const whole = await store.listWithSecrets();
  expect(whole.find((s) => s.id === withUserinfo.id)?.url).toBe(
    'https://desk:PASSwebhook@hooks.example.com/hbm',
  );
  await store.delete(withToken.id);
  await store.delete(withUserinfo.id);
});

it('rejects a subscription body with unknown fields or mixed wildcard facilities', () => {
  expect(SubscriptionInput.safeParse({ ...input, extra: 1 }).success).toBe(false);
  expect(SubscriptionInput.safeParse({ ...input, facilities: ['*', 'ZJ-HZ-DS07'] }).success).toBe(false);
  expect(SubscriptionInput.safeParse({ ...input, facilities: ['*'] }).success).toBe(true);
});

it('enqueues each (alertId, revision) once per subscription, however often it is offered', async () => {
  const { id } = await store.create(input, 'test');
  const rev1 = { type: 'alert' as const, alert: alertOf({ revision: 1 }) };
  const rev2 = { type: 'alert' as const, alert: alertOf({ revision: 2 }) };
  expect(await queue.enqueue(id, [rev1, rev2], 1_000)).toBe(2);
  expect(await queue.enqueue(id, [rev1, rev2], 2_000)).toBe(0);
  expect(await queue.enqueue(id, [rev1], 3_000)).toBe(0);
  expect((await store.get(id))?.delivery.pending).toBe(2);
  expect(await queue.due(5_000, 10)).toContain(id);
  const { deliveries } = await queue.pending(id, 10);
  expect(deliveries.map((d) => d.message)).toEqual([rev1, rev2]);

  expect(await queue.delivered(id, [deliveries[0].id], 6_000, 6_000)).toBe(1);
  expect(await queue.delivered(id, [deliveries[1].id], 7_000, 7_000)).toBe(0);
  expect(await queue.due(10_000, 10)).not.toContain(id);
  expect((await store.get(id))?.delivery).toMatchObject({
    pending: 0,
    delivered: 2,
    lastDeliveredAt: '1970-01-01T00:00:07.000Z',
  });
});

it('lets one notifier instance at a time hold a subscription', async () => {
  const { id } = await store.create(input, 'test');
  expect(await queue.claim(id, 'a', 10_000)).toBe(true);
  expect(await queue.claim(id, 'b', 10_000)).toBe(false);
  await queue.release(id, 'b');
  expect(await queue.claim(id, 'b', 10_000)).toBe(false);
  await queue.release(id, 'a');
  expect(await queue.claim(id, 'b', 10_000)).toBe(true);
});

it('enqueues nothing for a deleted subscription and leaves no key of it behind', async () => {
  const { id } = await store.create(input, 'test');
  await queue.enqueue(id, [{ type: 'alert', alert: alertOf() }], 1_000);
  await store.delete(id);
  expect(await queue.enqueue(id, [{ type: 'alert', alert: alertOf({ revision: 9 }) }], 2_000)).toBe(0);
  expect(
    await redis.exists(subscriptionKeys.queue(id), subscriptionKeys.bodies(id), subscriptionKeys.seen(id)),
  ).toBe(0);
  expect(await queue.due(10_000, 100)).not.toContain(id);
});

describe('robot budgets', () => {
  const windows = [
    { ms: 1_000, max: 5 },
    { ms: 60_000, max: 8 },
  ];

  it('lets every subscription on one robot take from the same sliding windows, and says when the next send fits', async () => {
    const budget = new RobotBudget(redis);
    const robot = robotKeyOf('feishu', 'https://open.feishu.cn/open-apis/bot/v2/hook/shared');
    const taken: number[] = [];
    for (let t = 0; t < 5; t++) taken.push(await budget.take(robot, windows, 100_000 + t * 10));
    expect(taken).toEqual([0, 0, 0, 0, 0]);
    // a sixth within the second: when the first leaves it
    expect(await budget.take(robot, windows, 100_100)).toBe(101_000);
    expect(await budget.take(robot, windows, 101_001)).toBe(0);
    expect(await budget.take(robot, windows, 101_002)).toBe(101_010); // the second of the first five
    expect(await budget.take(robot, windows, 101_011)).toBe(0);
    expect(await budget.take(robot, windows, 101_021)).toBe(0);
    // eight within the minute: the ninth when the first of them leaves the minute
    expect(await budget.take(robot, windows, 105_000)).toBe(160_000);
    expect(await budget.take(robot, windows, 160_001)).toBe(0);
    // another robot has a budget of its own
    expect(
      await budget.take(
        robotKeyOf('feishu', 'https://open.feishu.cn/open-apis/bot/v2/hook/other'),
        windows,
        105_000,
      ),
    ).toBe(0);
  });

  it('holds a paused robot until the pause ends, for every sender', async () => {
    const budget = new RobotBudget(redis);
    const robot = robotKeyOf('dingtalk', 'https://oapi.dingtalk.com/robot/send?access_token=paused');
    const now = Date.now();
    await budget.pause(robot, now + 5_000, now);
    expect(await budget.take(robot, windows, now + 1)).toBe(now + 5_000);
    expect(await budget.pausedUntil(robot, now)).toBe(now + 5_000);
    expect(await budget.take(robot, windows, now + 5_001)).toBe(0);
    expect(await redis.pttl(subscriptionKeys.robotPause(robot))).toBeLessThanOrEqual(5_000);
  });
});

describe('Alertmanager re-send state', () => {
  const amInput = SubscriptionInput.parse({
    name: 'am',
    channel: 'alertmanager',
    url: 'http://am-0:9093',
    peers: ['http://am-1:9093'],
    facilities: ['ZJ-HZ-DS07'],
    deliver: ['alerts'],
  });

  it('keeps the newest revision of each alert, however the revisions arrive, and counts the changes folded in', async () => {
    const { id } = await store.create(amInput, 'test');
    const state = new AlertmanagerState(redis);
    const revs = [1, 2, 3].map((revision) => ({ type: 'alert' as const, alert: alertOf({ revision }) }));
    await queue.enqueue(id, revs, 1_000, true);
    const { deliveries } = await queue.pending(id, 10);
    expect(await state.absorb(id, deliveries.reverse(), 2_000, 60_000)).toBe(3);
    expect(await queue.pendingCount(id)).toBe(0);
    const snapshot = await state.read(id, 2);
    expect(snapshot.alerts.get(alertOf().alertId)?.alert.revision).toBe(3);
    expect(snapshot.changed.get(alertOf().alertId)).toBe(3);
    expect(snapshot.targets).toEqual([
      { failures: 0, retryAtMs: 0, full: false },
      { failures: 0, retryAtMs: 0, full: false },
    ]);
    // changed and not yet sent: pending in the API
    expect((await store.get(id))?.delivery.pending).toBe(1);
    // a late older revision changes nothing
    await redis.zadd(subscriptionKeys.queue(id), 3_000, 'A|late|1');
    const late = { id: 'A|late|1', enqueuedAtMs: 3_000, message: revs[1] };
    expect(await state.absorb(id, [late], 3_000, 60_000)).toBe(0);
    expect((await state.read(id, 2)).alerts.get(alertOf().alertId)?.alert.revision).toBe(3);
    await store.delete(id);
  });

  it('forgets a resolved alert after its retention, and writes nothing for a subscription deleted meanwhile', async () => {
    const { id } = await store.create(amInput, 'test');
    const state = new AlertmanagerState(redis);
    const resolved = alertOf({ revision: 2, status: 'RESOLVED', endsAt: '2026-11-27T05:00:00.000Z' });
    await queue.enqueue(id, [{ type: 'alert', alert: resolved }], 1_000, true);
    await state.absorb(id, (await queue.pending(id, 10)).deliveries, 1_000, 4_000);
    expect((await state.read(id, 1)).alerts.get(resolved.alertId)?.forgetAtMs).toBe(5_000);
    const round = {
      nowMs: 6_000,
      nextMs: 66_000,
      stateSet: { lastAttemptAt: new Date(6_000).toISOString() },
      stateIncrement: { delivered: 1 },
      targetsSet: { resendAt: '66000', '0:failures': '0' },
      sent: [resolved.alertId],
      refused: [],
      forgotten: [resolved.alertId],
    };
    expect(await state.settle(id, round)).toBe(true);
    const after = await state.read(id, 1);
    expect(after.alerts.size).toBe(0);
    expect(after.changed.size).toBe(0);
    expect(after.resendAtMs).toBe(66_000);
    expect(await redis.zscore(subscriptionKeys.due(), id)).toBe('66000');
    expect((await store.get(id))?.delivery.delivered).toBe(1);

    await store.delete(id);
    expect(await state.settle(id, round)).toBe(false);
    expect(await redis.exists(subscriptionKeys.amTargets(id), subscriptionKeys.state(id))).toBe(0);
    expect(await queue.due(100_000, 100)).not.toContain(id);
  });

  it('makes an Alertmanager subscription due at once when a change is queued, though it waited for a re-send', async () => {
    const { id } = await store.create(amInput, 'test');
    await redis.zadd(subscriptionKeys.due(), 60_000, id);
    await queue.enqueue(id, [{ type: 'alert', alert: alertOf({ revision: 1 }) }], 1_000, true);
    expect(await redis.zscore(subscriptionKeys.due(), id)).toBe('1000');
    // a chat subscription waiting (backoff, rate budget) keeps its time
    const chat = await store.create(input, 'test');
    await redis.zadd(subscriptionKeys.due(), 60_000, chat.id);
    await queue.enqueue(chat.id, [{ type: 'alert', alert: alertOf({ revision: 1 }) }], 1_000);
    expect(await redis.zscore(subscriptionKeys.due(), chat.id)).toBe('60000');
    await store.delete(id);
    await store.delete(chat.id);
  });
});
