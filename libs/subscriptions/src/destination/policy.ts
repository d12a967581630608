import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';

import { formatIp, parseIp, type SubscriptionDestinations } from '@app/config';

import type { Channel } from '../subscription';
import { addressRefusal, type AddressKind } from './address';

type Robot = Extract<Channel, 'dingtalk' | 'wecom' | 'feishu'>;

/** The hosts each vendor's robots are reached at; SUBSCRIPTION_ROBOT_PROXY_HOSTS may add a proxy. */
export const ROBOT_HOSTS: Record<Robot, string[]> = {
  dingtalk: ['oapi.dingtalk.com'],
  wecom: ['qyapi.weixin.qq.com'],
  feishu: ['open.feishu.cn', 'open.larksuite.com'],
};

function isRobot(channel: Channel): channel is Robot {
  return channel in ROBOT_HOSTS;
}

/** Every address a name has now (the system resolver, as a connection would use: /etc/hosts, DNS). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** Where a send may go: the addresses checked, for the connection to use (and no other). */
export type Destination = { ok: true; url: URL; addresses: LookupAddress[] } | { ok: false; refusal: string };

const article = (kind: AddressKind) => (/^[aeiou]/.test(kind) ? 'an' : 'a');
const NOT_ALLOWED = 'outside SUBSCRIPTION_ALLOWED_NETWORKS';

/** A URL's host without the brackets of an IPv6 literal. */
export function hostnameOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Where subscriptions may send (issue 11: a subscription URL is untrusted input). Robot channels go to
 * their vendor's hosts (or an operator's proxy) over https; every destination's address must be
 * public or inside SUBSCRIPTION_ALLOWED_NETWORKS. The API asks at creation, the notifier at each send,
 * and the notifier then connects to the very addresses it checked (no second lookup to rebind).
 */
export class DestinationPolicy {
  constructor(
    private readonly settings: SubscriptionDestinations,
    private readonly resolver: Resolver = systemResolver,
  ) {}

  /** What can be told from the URL alone (scheme, robot host, a literal address); null: nothing against it. */
  urlRefusal(channel: Channel, text: string): string | null {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return 'is not a URL';
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      return `must be http:// or https://, not ${url.protocol}//`;
    if (isRobot(channel)) {
      if (!this.isRobotHost(channel, url)) {
        const proxies =
          this.settings.robotProxyHosts.length > 0 ? ' or a SUBSCRIPTION_ROBOT_PROXY_HOSTS host' : '';
        return `a ${channel} robot URL must be on ${ROBOT_HOSTS[channel].join(' or ')}${proxies}, not ${url.hostname}`;
      }
      if (url.protocol === 'http:' && !this.settings.allowHttp)
        return `a ${channel} robot URL must be https:// (SUBSCRIPTION_ALLOW_HTTP is false)`;
    }
    const literal = parseIp(hostnameOf(url));
    if (literal) {
      const kind = addressRefusal(literal, this.settings.allowedNetworks);
      if (kind) return `${formatIp(literal)} is ${article(kind)} ${kind} address, ${NOT_ALLOWED}`;
    }
    return null;
  }

  /**
   * Why the API refuses this subscription URL, or null. Also resolves its name now: a name with a
   * refused address is refused (so is `localhost`, whatever it resolves to here), and one that does
   * not resolve yet is let through, as the notifier resolves and checks it again at each send.
   */
  async creationRefusal(channel: Channel, text: string, timeoutMs = 3_000): Promise<string | null> {
    const refusal = this.urlRefusal(channel, text);
    if (refusal) return refusal;
    const url = new URL(text);
    const hostname = hostnameOf(url);
    if (parseIp(hostname)) return null;
    if (isLocalhostName(hostname)) {
      const loopback = ['127.0.0.1', '::1'].map((a) => parseIp(a) as Uint8Array);
      if (loopback.every((a) => addressRefusal(a, this.settings.allowedNetworks) !== null))
        return `${hostname} is a loopback address, ${NOT_ALLOWED}`;
      return null;
    }
    let addresses: LookupAddress[];
    try {
      addresses = await withTimeout(this.resolver(hostname), timeoutMs);
    } catch {
      return null;
    }
    return this.addressesRefusal(hostname, addresses);
  }

  /**
   * Where a send to `text` may connect: its literal address, or every address its name resolves to
   * now, each one checked. Throws what the resolver throws (ENOTFOUND, ...): a failure to retry.
   */
  async destinationOf(channel: Channel, text: string): Promise<Destination> {
    const refusal = this.urlRefusal(channel, text);
    if (refusal) return { ok: false, refusal };
    const url = new URL(text);
    const hostname = hostnameOf(url);
    const literal = parseIp(hostname);
    if (literal)
      return { ok: true, url, addresses: [{ address: hostname, family: hostname.includes(':') ? 6 : 4 }] };
    const addresses = await this.resolver(hostname);
    const refused = this.addressesRefusal(hostname, addresses);
    return refused ? { ok: false, refusal: refused } : { ok: true, url, addresses };
  }

  private addressesRefusal(hostname: string, addresses: LookupAddress[]): string | null {
    if (addresses.length === 0) return `${hostname} has no address`;
    for (const { address } of addresses) {
      const bytes = parseIp(address);
      if (!bytes) return `${hostname} resolves to something that is not an IP address`;
      const kind = addressRefusal(bytes, this.settings.allowedNetworks);
      // the address itself is not shown: it would tell a caller how internal names resolve
      if (kind) return `${hostname} resolves to ${article(kind)} ${kind} address, ${NOT_ALLOWED}`;
    }
    return null;
  }

  private isRobotHost(channel: Robot, url: URL): boolean {
    const hostname = url.hostname.toLowerCase();
    if (ROBOT_HOSTS[channel].includes(hostname)) return true;
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    return this.settings.robotProxyHosts.some(
      (rule) => rule.hostname === hostname && (rule.port === null || rule.port === port),
    );
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
