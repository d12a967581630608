import { isIPv4, isIPv6 } from 'node:net';

/**
 * An IP address as 16 bytes, IPv4 in its IPv4-mapped IPv6 form (::ffff:a.b.c.d): `127.0.0.1` and
 * `::ffff:127.0.0.1` are then the same bytes, and one comparison serves both families.
 */
export type IpBytes = Uint8Array;

/** A network (CIDR) over the 16 bytes: an IPv4 /p is ::ffff:0:0/96 + p. */
export interface Network {
  bytes: IpBytes;
  /** 0..128 */
  prefix: number;
  /** as an operator would write it: `127.0.0.0/8`, `fd00::/8` */
  text: string;
}

function ipv4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

function ipv6Bytes(text: string): number[] {
  let groups = text;
  let tail: number[] = [];
  const lastColon = groups.lastIndexOf(':');
  if (groups.includes('.', lastColon)) {
    tail = ipv4Bytes(groups.slice(lastColon + 1));
    groups = `${groups.slice(0, lastColon + 1)}0:0`; // two groups stand in for the IPv4 tail
  }
  const [head, rest] = groups.includes('::') ? groups.split('::') : [groups, undefined];
  const words = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = words(head);
  const right = words(rest);
  const all =
    rest === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = all.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/**
 * The 16 bytes of an IPv4 or IPv6 address (brackets and an IPv6 zone such as `%eth0` ignored), or
 * null when `text` is not one. Only dotted-quad IPv4 is an address here; a URL's host in another
 * IPv4 form (`0x7f.1`, `2130706433`) is normalised to it by WHATWG URL parsing first.
 */
export function parseIp(text: string): IpBytes | null {
  let t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const zone = t.indexOf('%');
  if (zone >= 0 && isIPv6(t)) t = t.slice(0, zone);
  if (isIPv4(t)) return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ipv4Bytes(t)]);
  if (isIPv6(t)) return Uint8Array.from(ipv6Bytes(t.toLowerCase()));
  return null;
}

/** Whether the address is IPv4 (held as ::ffff:a.b.c.d). */
export function isIpv4Bytes(bytes: IpBytes): boolean {
  return bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Dotted quad for IPv4 (and an IPv4-mapped IPv6 address, unless `asIpv6`), RFC 5952 text for IPv6
 * (lower case, the longest run of two or more zero groups as `::`).
 */
export function formatIp(bytes: IpBytes, asIpv6 = false): string {
  if (isIpv4Bytes(bytes) && !asIpv6) return Array.from(bytes.slice(12)).join('.');
  const words = Array.from({ length: 8 }, (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1]);
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j > i ? j : i + 1;
  }
  const hex = words.map((w) => w.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
}

/** `bytes` with every bit after the first `prefix` cleared. */
function masked(bytes: IpBytes, prefix: number): IpBytes {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < 16; i++) {
    const keep = Math.min(8, Math.max(0, prefix - 8 * i));
    out[i] &= (0xff << (8 - keep)) & 0xff;
  }
  return out;
}

/**
 * A network in CIDR notation (`10.0.0.0/8`, `fd00::/8`; a bare address is a /32 or /128), its host
 * bits cleared; null when `text` is not one.
 */
export function parseNetwork(text: string): Network | null {
  const [address, length, extra] = text.trim().split('/');
  if (extra !== undefined || address.includes('%')) return null;
  const bytes = parseIp(address);
  if (!bytes) return null;
  const v4 = isIPv4(address);
  const max = v4 ? 32 : 128;
  if (length !== undefined && !/^\d{1,3}$/.test(length)) return null;
  const bits = length === undefined ? max : Number(length);
  if (bits > max) return null;
  const prefix = v4 ? 96 + bits : bits;
  const network = masked(bytes, prefix);
  return { bytes: network, prefix, text: `${formatIp(network, !v4)}/${bits}` };
}

/** Whether `address` lies inside `network`. */
export function networkContains(network: Network, address: IpBytes): boolean {
  const a = masked(address, network.prefix);
  return a.every((b, i) => b === network.bytes[i]);
}
