import { z } from 'zod';

import { env } from './env';
import { parseNetwork, type Network } from './networks';

/** A host an operator names: `host` (any port) or `host:port`, as URL parsing spells the host. */
export interface HostRule {
  hostname: string;
  port: number | null;
}

function hostRuleOf(entry: string): HostRule | null {
  const m = /^(\[[0-9a-f:.]+\]|[^\s:/?#@[\]]+)(?::(\d{1,5}))?$/i.exec(entry);
  if (!m) return null;
  let hostname: string;
  try {
    hostname = new URL(`http://${m[1]}/`).hostname;
  } catch {
    return null;
  }
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && (port < 1 || port > 65_535)) return null;
  return { hostname, port };
}

const networkList = env.list().transform((entries, ctx) => {
  const networks: Network[] = [];
  for (const entry of entries) {
    const network = parseNetwork(entry);
    if (network) networks.push(network);
    else
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `"${entry}" is not a network: give CIDRs such as 127.0.0.0/8,10.20.0.0/16,fd00::/8`,
      });
  }
  return networks;
});

const hostList = env.list().transform((entries, ctx) => {
  const hosts: HostRule[] = [];
  for (const entry of entries) {
    const rule = hostRuleOf(entry);
    if (rule) hosts.push(rule);
    else
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `"${entry}" is not a host: give host names or host:port, such as robot-proxy.internal:8443`,
      });
  }
  return hosts;
});

/**
 * Where subscriptions may send (README "Subscriptions and their delivery"): read by the API, which
 * refuses a subscription outside them at creation, and by the notifier, which checks again at each send.
 */
export const SubscriptionSettings = z.object({
  /**
   * networks that are not public but may be sent to all the same (an in-cluster Alertmanager); by
   * default none: loopback, private, link-local, ... addresses are refused
   */
  SUBSCRIPTION_ALLOWED_NETWORKS: networkList,
  /** robot URLs may be http:// (a plain-http proxy, a test robot); by default they must be https:// */
  SUBSCRIPTION_ALLOW_HTTP: env.bool(false),
  /** hosts that robot URLs may name besides the vendors' own (an egress proxy) */
  SUBSCRIPTION_ROBOT_PROXY_HOSTS: hostList,
});
export type SubscriptionSettings = z.infer<typeof SubscriptionSettings>;

export interface SubscriptionDestinations {
  allowedNetworks: Network[];
  allowHttp: boolean;
  robotProxyHosts: HostRule[];
}

export function subscriptionDestinationsOf(e: SubscriptionSettings): SubscriptionDestinations {
  return {
    allowedNetworks: e.SUBSCRIPTION_ALLOWED_NETWORKS,
    allowHttp: e.SUBSCRIPTION_ALLOW_HTTP,
    robotProxyHosts: e.SUBSCRIPTION_ROBOT_PROXY_HOSTS,
  };
}
