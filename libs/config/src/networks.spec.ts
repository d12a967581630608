import { formatIp, networkContains, parseIp, parseNetwork } from './networks';

const ip = (text: string) => {
  const bytes = parseIp(text);
  if (!bytes) throw new Error(`not an address: ${text}`);
  return bytes;
};
const net = (text: string) => {
  const n = parseNetwork(text);
  if (!n) throw new Error(`not a network: ${text}`);
  return n;
};

describe('parseIp', () => {
  it('holds IPv4 as its IPv4-mapped IPv6 form, so both spellings are the same address', () => {
    expect(Array.from(ip('127.0.0.1'))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 127, 0, 0, 1]);
    expect(ip('::ffff:127.0.0.1')).toEqual(ip('127.0.0.1'));
    expect(ip('::ffff:7f00:1')).toEqual(ip('127.0.0.1'));
    expect(ip('[::FFFF:7F00:0001]')).toEqual(ip('127.0.0.1'));
  });

  it('expands IPv6 with and without ::, an IPv4 tail, brackets and a zone', () => {
    expect(formatIp(ip('2001:0db8:0000:0000:0000:0000:0000:0001'))).toBe('2001:db8::1');
    expect(formatIp(ip('::'))).toBe('::');
    expect(formatIp(ip('::1'))).toBe('::1');
    expect(formatIp(ip('fe80::1%eth0'))).toBe('fe80::1');
    expect(formatIp(ip('[fd00:ec2::254]'))).toBe('fd00:ec2::254');
    expect(formatIp(ip('64:ff9b::192.0.2.1'))).toBe('64:ff9b::c000:201');
    expect(formatIp(ip('1:0:0:2:0:0:0:3'))).toBe('1:0:0:2::3');
    expect(formatIp(ip('1:2:3:4:5:6:7:8'))).toBe('1:2:3:4:5:6:7:8');
    expect(formatIp(ip('::ffff:10.0.0.1'))).toBe('10.0.0.1');
    expect(formatIp(ip('::ffff:10.0.0.1'), true)).toBe('::ffff:a00:1');
  });

  it('refuses what is not an address', () => {
    for (const text of [
      '',
      'localhost',
      '256.0.0.1',
      '1.2.3',
      '0x7f.0.0.1',
      '1::2::3',
      'fe80::1%',
      '10.0.0.1/8',
    ])
      expect(parseIp(text)).toBeNull();
  });
});

describe('parseNetwork', () => {
  it('reads CIDRs of both families, a bare address as a single host, host bits cleared', () => {
    expect(net('127.0.0.0/8')).toMatchObject({ prefix: 104, text: '127.0.0.0/8' });
    expect(net('10.1.2.3/16').text).toBe('10.1.0.0/16');
    expect(net('192.0.2.7').text).toBe('192.0.2.7/32');
    expect(net('fd00::/8').text).toBe('fd00::/8');
    expect(net('fd12:3456::1').text).toBe('fd12:3456::1/128');
    expect(net('0.0.0.0/0').prefix).toBe(96);
    expect(net('::/0').prefix).toBe(0);
  });

  it('refuses a prefix out of range, a zone, or anything else', () => {
    for (const text of [
      '10.0.0.0/33',
      '::/129',
      '10.0.0.0/',
      '10.0.0.0/8/8',
      'fe80::/10%eth0',
      'x/8',
      '10.0.0.0/-1',
    ])
      expect(parseNetwork(text)).toBeNull();
  });

  it('contains exactly the addresses from its first to its last', () => {
    const ten = net('10.0.0.0/8');
    expect(networkContains(ten, ip('9.255.255.255'))).toBe(false);
    expect(networkContains(ten, ip('10.0.0.0'))).toBe(true);
    expect(networkContains(ten, ip('10.255.255.255'))).toBe(true);
    expect(networkContains(ten, ip('11.0.0.0'))).toBe(false);
    expect(networkContains(ten, ip('::ffff:10.1.2.3'))).toBe(true);
    const odd = net('100.64.0.0/10');
    expect(networkContains(odd, ip('100.63.255.255'))).toBe(false);
    expect(networkContains(odd, ip('100.127.255.255'))).toBe(true);
    expect(networkContains(odd, ip('100.128.0.0'))).toBe(false);
    const fe80 = net('fe80::/10');
    expect(networkContains(fe80, ip('fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff'))).toBe(false);
    expect(networkContains(fe80, ip('febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff'))).toBe(true);
    expect(networkContains(fe80, ip('fec0::'))).toBe(false);
    expect(networkContains(net('0.0.0.0/0'), ip('8.8.8.8'))).toBe(true);
    expect(networkContains(net('0.0.0.0/0'), ip('::1'))).toBe(false);
    expect(networkContains(net('::/0'), ip('8.8.8.8'))).toBe(true);
  });
});
