/**
 * Subscription URLs are untrusted (issue 11): the API refuses, at creation, a subscription the
 * notifier must not send to (loopback, private, link-local, metadata addresses; robots off their
 * vendors' hosts or over http), and masks the credentials in URLs in every answer; the notifier checks
 * again at each send, after resolving the name, and never stores what a receiver wrote in lastError.
 * The production default allows no local network; SUBSCRIPTION_ALLOWED_NETWORKS=127.0.0.0/8 lets
 * the local receivers of the tests (and npm start's demo) through.
 */
import type { Subscription, SubscriptionInput } from '@app/subscriptions';

import { alertOf } from '../libs/subscriptions/src/testing/fixtures';
import { ApiService } from './helpers/api-service';
import { waitFor } from './helpers/kafka';
import { waitWhileRunning } from './helpers/ledger-process';
import { NotifierRig } from './helpers/notifier';
import { dingtalkSignatureOk, Receiver, signedWebhook, webhookSignatureOk } from './helpers/receivers';

jest.setTimeout(180_000);

const SECRET = 'SECdestinations';
const FACILITY = 'ZJ-HZ-DS07';
const PRODUCTION_DEFAULT = {
  SUBSCRIPTION_ALLOWED_NETWORKS: '',
  SUBSCRIPTION_ALLOW_HTTP: 'false',
  SUBSCRIPTION_ROBOT_PROXY_HOSTS: '',
};

interface ErrorBody {
  error: { code: string; message: string };
}

const webhookTo = (url: string): SubscriptionInput => ({
  name: 'desk',
  channel: 'webhook',
  url,
  secret: SECRET,
  facilities: [FACILITY],
  deliver: ['alerts'],
});
const robotTo = (channel: 'dingtalk' | 'wecom' | 'feishu', url: string): SubscriptionInput => ({
  ...webhookTo(url),
  name: channel,
  channel,
});

let seq = 0;
const alertNow = () => {
  const to = `${FACILITY}/D${String(seq++).padStart(2, '0')}`;
  return alertOf({ alertId: `FEEDBACK_OVERDUE|${FACILITY}|2026-11-27/AM|${FACILITY}|${to}`, to });
};

describe('subscription destinations with the production default (no network allowed)', () => {
  const rig = new NotifierRig(PRODUCTION_DEFAULT);
  const api = new ApiService(() => rig.env, { admin: { role: 'admin', facilities: ['*'] } });
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    await rig.setUp();
    await api.start();
  });
  afterAll(async () => {
    await api.stop();
    await rig.tearDown();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('refuses at creation, with 400 and why, loopback, metadata, private and CGNAT addresses, and robots off their hosts or over http', async () => {
    const local = await Receiver.start();
    receivers.push(local);
    const port = new URL(local.url).port;
    const cases: [object, RegExp][] = [
      [
        webhookTo(`http://127.0.0.1:${port}/`),
        /127\.0\.0\.1 is a loopback address, outside SUBSCRIPTION_ALLOWED_NETWORKS/,
      ],
      [webhookTo('http://169.254.169.254/latest/meta-data/'), /169\.254\.169\.254 is a metadata address/],
      [webhookTo('http://10.0.0.8/hook'), /10\.0\.0\.8 is a private address/],
      [webhookTo('http://192.168.1.20:8080/hook'), /192\.168\.1\.20 is a private address/],
      [{ ...webhookTo('http://100.64.0.9:9093'), channel: 'alertmanager' }, /shared \(CGNAT\)/],
      [webhookTo(`http://[::ffff:127.0.0.1]:${port}/`), /127\.0\.0\.1 is a loopback address/],
      [webhookTo(`http://[::1]:${port}/`), /::1 is a loopback address/],
      [webhookTo(`http://localhost:${port}/`), /localhost is a loopback address/],
      [
        robotTo('dingtalk', 'https://robot.example.com/robot/send?access_token=x'),
        /a dingtalk robot URL must be on oapi\.dingtalk\.com, not robot\.example\.com/,
      ],
      [
        robotTo('dingtalk', 'http://oapi.dingtalk.com/robot/send?access_token=x'),
        /a dingtalk robot URL must be https:\/\//,
      ],
      [
        robotTo('wecom', `http://127.0.0.1:${port}/cgi-bin/webhook/send?key=k`),
        /must be on qyapi\.weixin\.qq\.com/,
      ],
      [
        robotTo('feishu', 'https://open.feishu.cn.example.net/open-apis/bot/v2/hook/t'),
        /must be on open\.feishu\.cn or open\.larksuite\.com/,
      ],
      [webhookTo('file:///etc/passwd'), /must be http:\/\/ or https:\/\//],
    ];
    for (const [body, why] of cases) {
      const res = await api.post<ErrorBody>('/api/v1/subscriptions', 'admin', body);
      expect([res.status, res.body.error?.code, res.body.error?.message]).toEqual([
        400,
        'BAD_REQUEST',
        expect.stringMatching(new RegExp(`^url: .*${why.source}`)),
      ]);
    }
    expect((await api.get<{ items: unknown[] }>('/api/v1/subscriptions', 'admin')).body.items).toEqual([]);
    expect(local.all).toHaveLength(0);
  });

  it('masks robot tokens and webhook userinfo in every answer (create, get, list), and only the notifier sees them whole', async () => {
    const subscriptions = [
      {
        body: robotTo('dingtalk', 'https://oapi.dingtalk.com/robot/send?access_token=TOKdingtalk'),
        secret: 'TOKdingtalk',
      },
      {
        body: robotTo('wecom', 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEYwecom'),
        secret: 'KEYwecom',
      },
      {
        body: robotTo('feishu', 'https://open.feishu.cn/open-apis/bot/v2/hook/HOOKfeishu'),
        secret: 'HOOKfeishu',
      },
      { body: webhookTo('https://desk:PASSwebhook@hooks.example.com/hbm'), secret: 'PASSwebhook' },
    ];
    const ids: string[] = [];
    for (const { body, secret } of subscriptions) {
      const created = await api.post<Subscription & ErrorBody>('/api/v1/subscriptions', 'admin', body);
      expect([created.status, created.body.error?.message]).toEqual([201, undefined]);
      expect(created.body.url).toContain('***');
      expect(JSON.stringify(created.body)).not.toContain(secret);
      const one = await api.get<Subscription>(`/api/v1/subscriptions/${created.body.id}`, 'admin');
      expect(one.body.url).toBe(created.body.url);
      expect(JSON.stringify(one.body)).not.toContain(secret);
      expect((await rig.store.getWithSecret(created.body.id))?.url).toBe(body.url);
      ids.push(created.body.id);
    }
    const listed = await api.get<{ items: Subscription[] }>('/api/v1/subscriptions', 'admin');
    expect(listed.body.items.map((s) => s.url).sort()).toEqual(
      [
        'https://oapi.dingtalk.com/robot/send?access_token=***',
        'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***',
        'https://open.feishu.cn/open-apis/bot/v2/hook/***',
        'https://***:***@hooks.example.com/hbm',
      ].sort(),
    );
    const text = JSON.stringify(listed.body);
    for (const { secret } of subscriptions) expect(text).not.toContain(secret);
    for (const id of ids)
      expect((await api.request('DELETE', `/api/v1/subscriptions/${id}`, 'admin')).status).toBe(204);
  });

  it('refuses at send time a name that resolves to loopback, and a loopback address, sending nothing and saying why', async () => {
    const target = await Receiver.start(signedWebhook(SECRET));
    receivers.push(target);
    const port = new URL(target.url).port;
    // written straight to the store, as if created before the name pointed there: the API would refuse them
    const byName = await rig.subscribe(webhookTo(`http://localhost:${port}/hook`));
    const byAddress = await rig.subscribe(webhookTo(`http://127.0.0.1:${port}/hook`));
    const notifier = await rig.start();
    await rig.sendAlerts([alertNow()]);
    const states = await waitWhileRunning(
      notifier,
      async () => {
        const res = await Promise.all(
          [byName.id, byAddress.id].map((id) =>
            api.get<Subscription>(`/api/v1/subscriptions/${id}`, 'admin'),
          ),
        );
        return res.every((r) => r.body.delivery?.failedAttempts > 0) ? res.map((r) => r.body.delivery) : null;
      },
      { what: 'both sends refused', timeoutMs: 60_000 },
    );
    expect(states?.[0]).toMatchObject({
      pending: 1,
      delivered: 0,
      lastError: 'refused: localhost resolves to a loopback address, outside SUBSCRIPTION_ALLOWED_NETWORKS',
    });
    expect(states?.[1]).toMatchObject({
      pending: 1,
      delivered: 0,
      lastError: 'refused: 127.0.0.1 is a loopback address, outside SUBSCRIPTION_ALLOWED_NETWORKS',
    });
    expect(target.all).toHaveLength(0);
  });
});

describe('subscription destinations with 127.0.0.0/8 allow-listed', () => {
  // the rig's default: SUBSCRIPTION_ALLOWED_NETWORKS=127.0.0.0/8, robots over http to 127.0.0.1
  const rig = new NotifierRig();
  const api = new ApiService(() => rig.env, { admin: { role: 'admin', facilities: ['*'] } });
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    await rig.setUp();
    await api.start();
  });
  afterAll(async () => {
    await api.stop();
    await rig.tearDown();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('takes subscriptions to local receivers and delivers to them, while metadata and other private addresses stay refused', async () => {
    const hook = await Receiver.start(signedWebhook(SECRET));
    const robot = await Receiver.start((request) => ({
      status: 200,
      body: JSON.stringify(dingtalkSignatureOk(request, SECRET) ? { errcode: 0 } : { errcode: 310000 }),
    }));
    receivers.push(hook, robot);
    const made = await Promise.all([
      api.post<Subscription>('/api/v1/subscriptions', 'admin', webhookTo(`${hook.url}/hook`)),
      api.post<Subscription>(
        '/api/v1/subscriptions',
        'admin',
        robotTo('dingtalk', `${robot.url}/robot/send?access_token=t`),
      ),
    ]);
    expect(made.map((r) => r.status)).toEqual([201, 201]);
    for (const url of ['http://169.254.169.254/', 'http://10.0.0.8/', 'http://[::1]:9/']) {
      const res = await api.post<ErrorBody>('/api/v1/subscriptions', 'admin', webhookTo(url));
      expect([url, res.status]).toEqual([url, 400]);
    }
    const notifier = await rig.start();
    await rig.sendAlerts([alertNow(), alertNow()]);
    await waitWhileRunning(
      notifier,
      async () => {
        const subs = await Promise.all(made.map((m) => rig.store.get(m.body.id)));
        return subs.every((s) => s?.delivery.delivered === 2 && s.delivery.pending === 0);
      },
      { what: 'both local receivers delivered', timeoutMs: 60_000 },
    );
    expect(hook.accepted.length).toBeGreaterThan(0);
    expect(hook.all.every((r) => webhookSignatureOk(r, SECRET))).toBe(true);
    expect(robot.accepted.every((r) => dingtalkSignatureOk(r, SECRET))).toBe(true);
  });

  it("keeps what receivers answer out of lastError: a status or the vendor's code, however large the answer", async () => {
    const leak = 'redis-password=hunter2 ';
    const failing = await Receiver.start(() => ({ status: 500, body: leak.repeat(50_000) })); // about 1 MB
    const robot = await Receiver.start(() => ({
      status: 200,
      body: JSON.stringify({ errcode: 310000, errmsg: `sign not match ${leak}` }),
    }));
    receivers.push(failing, robot);
    const made = await Promise.all([
      api.post<Subscription>('/api/v1/subscriptions', 'admin', webhookTo(`${failing.url}/hook`)),
      api.post<Subscription>(
        '/api/v1/subscriptions',
        'admin',
        robotTo('dingtalk', `${robot.url}/robot/send?access_token=t`),
      ),
    ]);
    await rig.sendAlerts([alertNow()]);
    const states = await waitFor(
      async () => {
        const res = await Promise.all(
          made.map((m) => api.get<Subscription>(`/api/v1/subscriptions/${m.body.id}`, 'admin')),
        );
        return res.every((r) => r.body.delivery?.lastError) ? res.map((r) => r.body) : null;
      },
      { what: 'both sends failed', timeoutMs: 60_000 },
    );
    expect(states?.map((s) => s.delivery.lastError)).toEqual(['HTTP 500', 'dingtalk errcode 310000']);
    expect(JSON.stringify(states)).not.toContain('hunter2');
    expect(failing.all.length).toBeGreaterThan(0);
  });
});
