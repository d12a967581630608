import { parseIp, parseNetwork, type Network } from '@app/config';

import { addressKindOf, addressRefusal } from './address';

const kindOf = (text: string) => {
  const bytes = parseIp(text);
  if (!bytes) throw new Error(`not an address: ${text}`);
  return addressKindOf(bytes);
};
const networks = (...texts: string[]): Network[] => texts.map((t) => parseNetwork(t) as Network);
const refusal = (text: string, allowed: Network[]) => addressRefusal(parseIp(text) as Uint8Array, allowed);

/** [address, kind] — null for a public address. */
type Case = [string, ReturnType<typeof addressKindOf>];

describe('addressKindOf', () => {
  it('knows every special IPv4 block, one address inside each edge and one outside', () => {
    const cases: Case[] = [
      ['0.0.0.0', 'unspecified'],
      ['0.255.255.255', 'unspecified'],
      ['1.0.0.0', null],
      ['9.255.255.255', null],
      ['10.0.0.0', 'private'],
      ['10.255.255.255', 'private'],
      ['11.0.0.0', null],
      ['100.63.255.255', null],
      ['100.64.0.0', 'shared (CGNAT)'],
      ['100.127.255.255', 'shared (CGNAT)'],
      ['100.128.0.0', null],
      ['126.255.255.255', null],
      ['127.0.0.0', 'loopback'],
      ['127.0.0.1', 'loopback'],
      ['127.255.255.255', 'loopback'],
      ['128.0.0.0', null],
      ['169.253.255.255', null],
      ['169.254.0.0', 'link-local'],
      ['169.254.255.255', 'link-local'],
      ['169.255.0.0', null],
      ['172.15.255.255', null],
      ['172.16.0.0', 'private'],
      ['172.31.255.255', 'private'],
      ['172.32.0.0', null],
      ['191.255.255.255', null],
      ['192.0.0.0', 'reserved'],
      ['192.0.0.255', 'reserved'],
      ['192.0.1.0', null],
      ['192.0.2.0', 'documentation'],
      ['192.0.2.255', 'documentation'],
      ['192.0.3.0', null],
      ['192.88.99.1', 'reserved'],
      ['192.167.255.255', null],
      ['192.168.0.0', 'private'],
      ['192.168.255.255', 'private'],
      ['192.169.0.0', null],
      ['198.17.255.255', null],
      ['198.18.0.0', 'benchmarking'],
      ['198.19.255.255', 'benchmarking'],
      ['198.20.0.0', null],
      ['198.51.100.1', 'documentation'],
      ['203.0.113.1', 'documentation'],
      ['223.255.255.255', null],
      ['224.0.0.0', 'multicast'],
      ['239.255.255.255', 'multicast'],
      ['240.0.0.0', 'reserved'],
      ['255.255.255.254', 'reserved'],
      ['255.255.255.255', 'broadcast'],
      ['8.8.8.8', null],
      ['1.1.1.1', null],
    ];
    expect(cases.map(([a]) => [a, kindOf(a)])).toEqual(cases);
  });

  it('knows the cloud metadata addresses, inside the blocks that hold them', () => {
    for (const a of [
      '169.254.169.254',
      '169.254.170.2',
      '169.254.170.23',
      '100.100.100.200',
      '192.0.0.192',
      'fd00:ec2::254',
      'fd00:ec2::23',
    ])
      expect([a, kindOf(a)]).toEqual([a, 'metadata']);
    expect(kindOf('169.254.169.253')).toBe('link-local');
    expect(kindOf('100.100.100.201')).toBe('shared (CGNAT)');
    expect(kindOf('fd00:ec2::255')).toBe('unique-local');
  });

  it('knows the special IPv6 blocks, and that only 2000::/3 is global unicast', () => {
    const cases: Case[] = [
      ['::', 'unspecified'],
      ['::1', 'loopback'],
      ['::2', 'reserved'],
      ['::127.0.0.1', 'reserved'], // IPv4-compatible, deprecated
      ['100::1', 'reserved'],
      ['1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved'],
      ['2000::', null],
      ['2001::1', 'reserved'], // Teredo
      ['2001:1::1', null],
      ['2001:2::1', 'benchmarking'],
      ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', null],
      ['2001:db8::1', 'documentation'],
      ['2001:db9::', null],
      ['2001:4860:4860::8888', null],
      ['2606:4700:4700::1111', null],
      ['3fff::1', 'documentation'],
      ['3fff:1000::', null],
      ['3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', null],
      ['4000::', 'reserved'],
      ['fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved'],
      ['fc00::', 'unique-local'],
      ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'unique-local'],
      ['fe00::', 'reserved'],
      ['fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved'],
      ['fe80::', 'link-local'],
      ['fe80::1%eth0', 'link-local'],
      ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'link-local'],
      ['fec0::1', 'private'],
      ['ff00::', 'multicast'],
      ['ff02::1', 'multicast'],
    ];
    expect(cases.map(([a]) => [a, kindOf(a)])).toEqual(cases);
  });

  it('judges the IPv6 forms of an IPv4 address by the IPv4 address (mapped, NAT64, 6to4)', () => {
    const cases: Case[] = [
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::ffff:10.0.0.1', 'private'],
      ['::ffff:169.254.169.254', 'metadata'],
      ['::ffff:0.0.0.0', 'unspecified'],
      ['::ffff:8.8.8.8', null],
      ['64:ff9b::127.0.0.1', 'loopback'],
      ['64:ff9b::a9fe:a9fe', 'metadata'],
      ['64:ff9b::8.8.8.8', null],
      ['64:ff9b:1::1', 'private'],
      ['2002:7f00:1::', 'loopback'],
      ['2002:c0a8:101::1', 'private'],
      ['2002:a9fe:a9fe::', 'metadata'],
      ['2002:808:808::1', null],
    ];
    expect(cases.map(([a]) => [a, kindOf(a)])).toEqual(cases);
  });
});

describe('addressRefusal', () => {
  it('refuses every non-public address when nothing is allowed, and no public one', () => {
    expect(refusal('127.0.0.1', [])).toBe('loopback');
    expect(refusal('10.0.0.1', [])).toBe('private');
    expect(refusal('::1', [])).toBe('loopback');
    expect(refusal('93.184.216.34', [])).toBeNull();
    expect(refusal('2606:2800:220:1::1', [])).toBeNull();
  });

  it('lets an allow-listed network through, to its last address and not one past it', () => {
    const allowed = networks('127.0.0.0/8', '10.1.0.0/16', 'fd12::/16');
    expect(refusal('127.0.0.1', allowed)).toBeNull();
    expect(refusal('127.255.255.255', allowed)).toBeNull();
    expect(refusal('::ffff:127.0.0.1', allowed)).toBeNull();
    expect(refusal('::1', allowed)).toBe('loopback'); // another family's loopback is another network
    expect(refusal('10.1.255.255', allowed)).toBeNull();
    expect(refusal('10.2.0.0', allowed)).toBe('private');
    expect(refusal('10.0.255.255', allowed)).toBe('private');
    expect(refusal('fd12:ffff::1', allowed)).toBeNull();
    expect(refusal('fd13::1', allowed)).toBe('unique-local');
  });

  it('keeps a metadata address refused unless the allow-list names that address alone', () => {
    expect(refusal('169.254.169.254', networks('169.254.0.0/16'))).toBe('metadata');
    expect(refusal('169.254.169.254', networks('0.0.0.0/0', '::/0'))).toBe('metadata');
    expect(refusal('100.100.100.200', networks('100.64.0.0/10'))).toBe('metadata');
    expect(refusal('100.100.100.201', networks('100.64.0.0/10'))).toBeNull();
    expect(refusal('fd00:ec2::254', networks('fd00::/8'))).toBe('metadata');
    expect(refusal('169.254.169.254', networks('169.254.169.254/32'))).toBeNull();
    expect(refusal('::ffff:169.254.169.254', networks('169.254.169.254'))).toBeNull();
  });
});
