import { isIpv4Bytes, networkContains, parseNetwork, type IpBytes, type Network } from '@app/config';

/** Why an address is no place to send a subscription's deliveries. */
export type AddressKind =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unique-local'
  | 'shared (CGNAT)'
  | 'metadata'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'documentation'
  | 'benchmarking';

function network(text: string): Network {
  const parsed = parseNetwork(text);
  if (!parsed) throw new Error(`not a network: ${text}`);
  return parsed;
}

/**
 * Cloud instance metadata services: they hand out credentials to whoever asks from inside the
 * instance. AWS/GCP/Azure/Oracle/DigitalOcean 169.254.169.254, AWS ECS task and EKS Pod Identity
 * 169.254.170.2 and .23, AWS IPv6 fd00:ec2::254 and ::23, Alibaba 100.100.100.200, Oracle Classic
 * 192.0.0.192. An allow-listed network opens one of them only when it names that very address.
 */
export const METADATA_ADDRESSES: Network[] = [
  '169.254.169.254',
  '169.254.170.2',
  '169.254.170.23',
  'fd00:ec2::254',
  'fd00:ec2::23',
  '100.100.100.200',
  '192.0.0.192',
].map(network);

/**
 * The address blocks that are not the public Internet (IANA special-purpose registries), first
 * match wins. IPv4 is held as ::ffff:a.b.c.d, so these IPv4 entries cover the IPv4-mapped IPv6 forms
 * too; IPv6 forms that embed an IPv4 address (NAT64, 6to4) are judged by the address inside.
 */
const SPECIAL: [Network, AddressKind][] = (
  [
    ['0.0.0.0/8', 'unspecified'], // "this network": a connect to 0.0.0.0 reaches the host itself
    ['10.0.0.0/8', 'private'],
    ['100.64.0.0/10', 'shared (CGNAT)'],
    ['127.0.0.0/8', 'loopback'],
    ['169.254.0.0/16', 'link-local'],
    ['172.16.0.0/12', 'private'],
    ['192.0.0.0/24', 'reserved'],
    ['192.0.2.0/24', 'documentation'],
    ['192.88.99.0/24', 'reserved'], // the 6to4 relay anycast, deprecated
    ['192.168.0.0/16', 'private'],
    ['198.18.0.0/15', 'benchmarking'],
    ['198.51.100.0/24', 'documentation'],
    ['203.0.113.0/24', 'documentation'],
    ['224.0.0.0/4', 'multicast'],
    ['255.255.255.255/32', 'broadcast'],
    ['240.0.0.0/4', 'reserved'],
    ['::/128', 'unspecified'],
    ['::1/128', 'loopback'],
    ['::/96', 'reserved'], // IPv4-compatible IPv6, deprecated
    ['64:ff9b:1::/48', 'private'], // local-use NAT64
    ['100::/64', 'reserved'], // discard-only
    ['2001::/32', 'reserved'], // Teredo
    ['2001:2::/48', 'benchmarking'],
    ['2001:10::/28', 'reserved'], // ORCHID
    ['2001:db8::/32', 'documentation'],
    ['3fff::/20', 'documentation'],
    ['fc00::/7', 'unique-local'],
    ['fe80::/10', 'link-local'],
    ['fec0::/10', 'private'], // site-local, deprecated
    ['ff00::/8', 'multicast'],
  ] as const
).map(([text, kind]) => [network(text), kind]);

/** IANA allocates global unicast IPv6 from 2000::/3 alone; anything else is not (yet) on the Internet. */
const GLOBAL_UNICAST = network('2000::/3');
const NAT64 = network('64:ff9b::/96');
const SIX_TO_FOUR = network('2002::/16');

/** The IPv4 address an IPv6 one stands for (NAT64 in its last 4 bytes, 6to4 in bytes 2..5), if any. */
function embeddedIpv4(bytes: IpBytes): IpBytes | null {
  let v4: IpBytes | null = null;
  if (networkContains(NAT64, bytes)) v4 = bytes.slice(12, 16);
  else if (networkContains(SIX_TO_FOUR, bytes)) v4 = bytes.slice(2, 6);
  return v4 && Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4]);
}

/** What kind of non-public address this is, or null for a public (globally reachable) one. */
export function addressKindOf(bytes: IpBytes): AddressKind | null {
  if (METADATA_ADDRESSES.some((m) => networkContains(m, bytes))) return 'metadata';
  for (const [block, kind] of SPECIAL) if (networkContains(block, bytes)) return kind;
  if (isIpv4Bytes(bytes)) return null;
  const inner = embeddedIpv4(bytes);
  if (inner) return addressKindOf(inner);
  return networkContains(GLOBAL_UNICAST, bytes) ? null : 'reserved';
}

/**
 * Why the notifier must not connect to this address, or null when it may: it is public, or inside
 * an allow-listed network. A metadata address stays refused unless an allow-listed network is that
 * address alone, so that allowing a pod network never opens the credentials service with it.
 */
export function addressRefusal(bytes: IpBytes, allowed: Network[]): AddressKind | null {
  const kind = addressKindOf(bytes);
  if (kind === null) return null;
  const inAllowed = allowed.filter((n) => networkContains(n, bytes));
  if (kind === 'metadata') return inAllowed.some((n) => n.prefix === 128) ? null : kind;
  return inAllowed.length > 0 ? null : kind;
}
