import type { LookupAddress } from 'node:dns';

import { parseNetwork, type HostRule, type Network, type SubscriptionDestinations } from '@app/config';

import { DestinationPolicy, type Resolver } from './policy';

function settings(overrides: Partial<SubscriptionDestinations> = {}): SubscriptionDestinations {
  return { allowedNetworks: [], allowHttp: false, robotProxyHosts: [], ...overrides };
}
const allow = (...texts: string[]): Network[] => texts.map((t) => parseNetwork(t) as Network);
const proxy = (hostname: string, port: number | null = null): HostRule => ({ hostname, port });

/** A resolver that knows a few names, counting its lookups. */
function fakeDns(names: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = (hostname: string): Promise<LookupAddress[]> => {
    calls.push(hostname);
    const found = names[hostname];
    if (!found)
      return Promise.reject(
        Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
      );
    return Promise.resolve(found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return Object.assign(resolve, { calls });
}

const DNS = fakeDns({
  'hooks.example.com': ['93.184.216.34', '2606:2800:220:1::1'],
  'oapi.dingtalk.com': ['106.11.35.100'],
  'am.internal': ['10.20.0.7'],
  'loop.example': ['127.0.0.1'],
  'half.example': ['93.184.216.34', '192.168.1.10'],
  'meta.example': ['169.254.169.254'],
  'mapped.example': ['::ffff:127.0.0.1'],
});

describe('DestinationPolicy.urlRefusal', () => {
  const policy = new DestinationPolicy(settings(), DNS);

  it('refuses literal addresses that are not public, in every spelling a URL takes', () => {
    const cases: [string, RegExp][] = [
      ['http://127.0.0.1:8080/', /127\.0\.0\.1 is a loopback address, outside SUBSCRIPTION_ALLOWED_NETWORKS/],
      ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a metadata address/],
      ['http://10.0.0.5/hook', /10\.0\.0\.5 is a private address/],
      ['http://192.168.1.1/', /private/],
      ['http://172.16.0.1/', /private/],
      ['http://100.64.1.1/', /shared \(CGNAT\)/],
      ['http://[::1]/', /::1 is a loopback address/],
      ['http://[::ffff:127.0.0.1]/', /127\.0\.0\.1 is a loopback address/],
      ['http://[fe80::1]/', /link-local/],
      ['http://[fd00:ec2::254]/', /metadata/],
      ['http://0.0.0.0:9093/', /unspecified/],
      ['http://2130706433/', /127\.0\.0\.1 is a loopback/], // WHATWG URL reads it as 127.0.0.1
      ['http://0x7f.1/', /127\.0\.0\.1 is a loopback/],
      ['http://[ff02::1]/', /multicast/],
    ];
    for (const [url, why] of cases)
      expect([url, policy.urlRefusal('webhook', url)]).toEqual([url, expect.stringMatching(why)]);
    expect(policy.urlRefusal('alertmanager', 'http://10.0.0.5:9093')).toMatch(/private/);
  });

  it('takes public literal addresses and any host name (names are judged by what they resolve to)', () => {
    expect(policy.urlRefusal('webhook', 'https://93.184.216.34/hook')).toBeNull();
    expect(policy.urlRefusal('webhook', 'http://hooks.example.com/hbm')).toBeNull();
    expect(policy.urlRefusal('alertmanager', 'http://am.internal:9093')).toBeNull();
  });

  it('refuses schemes other than http and https', () => {
    expect(policy.urlRefusal('webhook', 'file:///etc/passwd')).toMatch(
      /must be http:\/\/ or https:\/\/, not file:\/\//,
    );
    expect(policy.urlRefusal('webhook', 'gopher://hooks.example.com/')).toMatch(/not gopher/);
    expect(policy.urlRefusal('webhook', 'not a url')).toBe('is not a URL');
  });

  it("sends each robot only to its vendor's hosts, over https", () => {
    expect(policy.urlRefusal('dingtalk', 'https://oapi.dingtalk.com/robot/send?access_token=x')).toBeNull();
    expect(policy.urlRefusal('wecom', 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k')).toBeNull();
    expect(policy.urlRefusal('feishu', 'https://open.feishu.cn/open-apis/bot/v2/hook/t')).toBeNull();
    expect(policy.urlRefusal('feishu', 'https://open.larksuite.com/open-apis/bot/v2/hook/t')).toBeNull();
    expect(policy.urlRefusal('dingtalk', 'https://evil.example.com/robot/send?access_token=x')).toBe(
      'a dingtalk robot URL must be on oapi.dingtalk.com, not evil.example.com',
    );
    expect(policy.urlRefusal('wecom', 'https://oapi.dingtalk.com/robot/send')).toMatch(
      /must be on qyapi\.weixin\.qq\.com/,
    );
    expect(policy.urlRefusal('feishu', 'https://open.feishu.cn.evil.example/x')).toMatch(
      /must be on open\.feishu\.cn or open\.larksuite\.com/,
    );
    expect(policy.urlRefusal('dingtalk', 'https://127.0.0.1/robot/send')).toMatch(
      /must be on oapi\.dingtalk\.com/,
    );
    expect(policy.urlRefusal('dingtalk', 'http://oapi.dingtalk.com/robot/send?access_token=x')).toBe(
      'a dingtalk robot URL must be https:// (SUBSCRIPTION_ALLOW_HTTP is false)',
    );
  });

  it('takes a proxy host for robots, on its port if one is named, and http when allowed', () => {
    const proxied = new DestinationPolicy(
      settings({
        robotProxyHosts: [proxy('robot-proxy.example', 8443), proxy('egress.example')],
        allowHttp: true,
      }),
      DNS,
    );
    expect(proxied.urlRefusal('dingtalk', 'https://robot-proxy.example:8443/robot/send')).toBeNull();
    expect(proxied.urlRefusal('dingtalk', 'https://robot-proxy.example/robot/send')).toMatch(
      /must be on oapi\.dingtalk\.com or a SUBSCRIPTION_ROBOT_PROXY_HOSTS host/,
    );
    expect(proxied.urlRefusal('wecom', 'http://egress.example:8080/cgi-bin/webhook/send')).toBeNull();
    expect(proxied.urlRefusal('wecom', 'http://qyapi.weixin.qq.com/cgi-bin/webhook/send')).toBeNull();
  });

  it('lets allow-listed literal addresses through, for webhooks and for a robot proxy alike', () => {
    const local = new DestinationPolicy(
      settings({
        allowedNetworks: allow('127.0.0.0/8'),
        allowHttp: true,
        robotProxyHosts: [proxy('127.0.0.1')],
      }),
      DNS,
    );
    expect(local.urlRefusal('webhook', 'http://127.0.0.1:4000/hook')).toBeNull();
    expect(local.urlRefusal('dingtalk', 'http://127.0.0.1:4001/robot/send')).toBeNull();
    expect(local.urlRefusal('webhook', 'http://169.254.169.254/')).toMatch(/metadata/);
    expect(local.urlRefusal('webhook', 'http://[::1]:4000/')).toMatch(/loopback/);
  });
});

describe('DestinationPolicy.creationRefusal', () => {
  const policy = new DestinationPolicy(settings(), DNS);

  it('refuses a name that resolves to any address that is not public, without showing the address', async () => {
    await expect(policy.creationRefusal('webhook', 'http://loop.example/')).resolves.toBe(
      'loop.example resolves to a loopback address, outside SUBSCRIPTION_ALLOWED_NETWORKS',
    );
    await expect(policy.creationRefusal('webhook', 'https://half.example/')).resolves.toBe(
      'half.example resolves to a private address, outside SUBSCRIPTION_ALLOWED_NETWORKS',
    );
    await expect(policy.creationRefusal('alertmanager', 'http://am.internal:9093')).resolves.toMatch(
      /private/,
    );
    await expect(policy.creationRefusal('webhook', 'http://meta.example/')).resolves.toMatch(/metadata/);
    await expect(policy.creationRefusal('webhook', 'http://mapped.example/')).resolves.toMatch(/loopback/);
  });

  it('refuses localhost outright, whatever it resolves to here', async () => {
    await expect(policy.creationRefusal('webhook', 'http://localhost:3000/')).resolves.toBe(
      'localhost is a loopback address, outside SUBSCRIPTION_ALLOWED_NETWORKS',
    );
    await expect(policy.creationRefusal('webhook', 'http://api.localhost/')).resolves.toMatch(/loopback/);
    const local = new DestinationPolicy(settings({ allowedNetworks: allow('127.0.0.0/8') }), DNS);
    await expect(local.creationRefusal('webhook', 'http://localhost:3000/')).resolves.toBeNull();
  });

  it('takes a public name, and a name that does not resolve yet (the notifier checks at each send)', async () => {
    await expect(policy.creationRefusal('webhook', 'https://hooks.example.com/hbm')).resolves.toBeNull();
    await expect(policy.creationRefusal('webhook', 'https://not-yet.example/')).resolves.toBeNull();
    const hanging = new DestinationPolicy(settings(), () => new Promise(() => undefined));
    await expect(hanging.creationRefusal('webhook', 'https://slow.example/', 20)).resolves.toBeNull();
  });

  it('takes an allow-listed name: an in-cluster Alertmanager on purpose', async () => {
    const cluster = new DestinationPolicy(settings({ allowedNetworks: allow('10.20.0.0/16') }), DNS);
    await expect(cluster.creationRefusal('alertmanager', 'http://am.internal:9093')).resolves.toBeNull();
  });
});

describe('DestinationPolicy.destinationOf', () => {
  it('resolves once and gives the addresses it checked, for the connection to use', async () => {
    const dns = fakeDns({ 'hooks.example.com': ['93.184.216.34'] });
    const policy = new DestinationPolicy(settings(), dns);
    const d = await policy.destinationOf('webhook', 'https://hooks.example.com/hbm');
    expect(d).toMatchObject({ ok: true, addresses: [{ address: '93.184.216.34', family: 4 }] });
    expect(dns.calls).toEqual(['hooks.example.com']);
  });

  it('refuses at send time a name that resolves to loopback now, even if it did not at creation', async () => {
    const answers = [['93.184.216.34'], ['127.0.0.1']];
    const rebinding: Resolver = () =>
      Promise.resolve((answers.shift() ?? []).map((address) => ({ address, family: 4 })));
    const policy = new DestinationPolicy(settings(), rebinding);
    await expect(policy.creationRefusal('webhook', 'http://rebind.example/')).resolves.toBeNull();
    await expect(policy.destinationOf('webhook', 'http://rebind.example/')).resolves.toEqual({
      ok: false,
      refusal: 'rebind.example resolves to a loopback address, outside SUBSCRIPTION_ALLOWED_NETWORKS',
    });
  });

  it('connects to a literal address as it is, without a lookup', async () => {
    const dns = fakeDns({});
    const policy = new DestinationPolicy(settings({ allowedNetworks: allow('127.0.0.0/8', '::1') }), dns);
    await expect(policy.destinationOf('webhook', 'http://127.0.0.1:4000/')).resolves.toMatchObject({
      ok: true,
      addresses: [{ address: '127.0.0.1', family: 4 }],
    });
    await expect(policy.destinationOf('webhook', 'http://[::1]:4000/')).resolves.toMatchObject({
      ok: true,
      addresses: [{ address: '::1', family: 6 }],
    });
    expect(dns.calls).toEqual([]);
  });

  it('passes a resolver failure on, as a failure to retry', async () => {
    const policy = new DestinationPolicy(settings(), fakeDns({}));
    await expect(policy.destinationOf('webhook', 'https://gone.example/')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
  });

  it('refuses a robot URL off its vendor hosts before resolving anything', async () => {
    const dns = fakeDns({});
    const policy = new DestinationPolicy(settings(), dns);
    await expect(
      policy.destinationOf('wecom', 'https://evil.example/cgi-bin/webhook/send?key=k'),
    ).resolves.toMatchObject({
      ok: false,
      refusal: expect.stringMatching(/must be on qyapi\.weixin\.qq\.com/),
    });
    expect(dns.calls).toEqual([]);
  });
});
