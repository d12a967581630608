import { parseEnv } from './env';
import { SubscriptionSettings, subscriptionDestinationsOf } from './subscription-settings';

describe('SubscriptionSettings', () => {
  const load = (env: NodeJS.ProcessEnv) => subscriptionDestinationsOf(parseEnv(SubscriptionSettings, env));

  it('defaults to no allowed network, https robots only, no proxy', () => {
    expect(load({})).toEqual({ allowedNetworks: [], allowHttp: false, robotProxyHosts: [] });
  });

  it('reads a list of networks and of proxy hosts with or without a port', () => {
    const settings = load({
      SUBSCRIPTION_ALLOWED_NETWORKS: '127.0.0.0/8, 10.20.0.0/16,fd00::/8',
      SUBSCRIPTION_ALLOW_HTTP: 'true',
      SUBSCRIPTION_ROBOT_PROXY_HOSTS: 'Robot-Proxy.internal:8443,127.0.0.1,[::1]:9000',
    });
    expect(settings.allowedNetworks.map((n) => n.text)).toEqual(['127.0.0.0/8', '10.20.0.0/16', 'fd00::/8']);
    expect(settings.allowHttp).toBe(true);
    expect(settings.robotProxyHosts).toEqual([
      { hostname: 'robot-proxy.internal', port: 8443 },
      { hostname: '127.0.0.1', port: null },
      { hostname: '[::1]', port: 9000 },
    ]);
  });

  it('names the bad entry and how to write one', () => {
    expect(() => load({ SUBSCRIPTION_ALLOWED_NETWORKS: '127.0.0.0/8,10.0.0.0/40' })).toThrow(
      /SUBSCRIPTION_ALLOWED_NETWORKS: "10.0.0.0\/40" is not a network: give CIDRs such as 127.0.0.0\/8/,
    );
    expect(() => load({ SUBSCRIPTION_ROBOT_PROXY_HOSTS: 'http://proxy/' })).toThrow(
      /SUBSCRIPTION_ROBOT_PROXY_HOSTS: "http:\/\/proxy\/" is not a host/,
    );
    expect(() => load({ SUBSCRIPTION_ROBOT_PROXY_HOSTS: 'proxy:70000' })).toThrow(/is not a host/);
    expect(() => load({ SUBSCRIPTION_ALLOW_HTTP: 'maybe' })).toThrow(
      /SUBSCRIPTION_ALLOW_HTTP: must be true or false/,
    );
  });
});
