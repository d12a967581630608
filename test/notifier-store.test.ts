/** The subscription store and delivery queues against the real Redis. */
import Redis from 'ioredis';

import { DeliveryQueue, SubscriptionInput, SubscriptionStore, subscriptionKeys } from '@app/subscriptions';

import { alertOf } from '../libs/subscriptions/src/testing/fixtures';
import { testRedisUrl } from './helpers/redis';

let redis: Redis;
let store: SubscriptionStore;
let queue: DeliveryQueue;

beforeAll(async () => {
  redis = new Redis(`${testRedisUrl()}/34`);
  await redis.flushdb();
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
