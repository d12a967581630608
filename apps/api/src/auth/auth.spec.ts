import { Principal } from './principal';
import { sha256Hex, TokenRegistry } from './token-registry';
import { parseTokensFile } from './tokens-file';

const digest = sha256Hex('s3cret-token');

describe('the tokens file', () => {
  it('accepts the format of SPEC.md section 7', () => {
    const result = parseTokensFile({
      tokens: [
        {
          name: 'hz-supervisor',
          sha256: digest,
          role: 'supervisor',
          facilities: ['ZJ-HZ-DS07', 'ZJ-HZ-PC01'],
        },
        { name: 'ops', sha256: sha256Hex('other'), role: 'admin', facilities: ['*'] },
      ],
    });
    expect(result.ok).toBe(true);
  });

  it('names every problem on a line of its own, and never repeats a digest', () => {
    const result = parseTokensFile({
      tokens: [
        { name: 'a', sha256: 'ABC', role: 'boss', facilities: [] },
        { name: 'b', sha256: digest, role: 'sre', facilities: ['*', 'ZJ-HZ-PC01'] },
      ],
    });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems.some((p) => p.startsWith('tokens.0.sha256:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('tokens.0.role:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('tokens.0.facilities:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('tokens.1.facilities'))).toBe(true);
  });

  it('refuses a name or a token listed twice, without printing the digest', () => {
    const entry = { name: 'b', sha256: digest, role: 'sre', facilities: ['ZJ-HZ-PC01'] };
    const result = parseTokensFile({ tokens: [entry, entry] });
    const problems = result.ok ? [] : result.problems;
    expect(problems.some((p) => p.includes('"b" is used twice'))).toBe(true);
    expect(problems.some((p) => p.includes('the same token is listed twice'))).toBe(true);
    expect(problems.join('\n')).not.toContain(digest);
  });

  it('refuses a field it does not know', () => {
    const result = parseTokensFile({
      tokens: [{ name: 'b', sha256: digest, role: 'sre', facilities: ['*'], extra: 1 }],
    });
    expect(result.ok).toBe(false);
  });

  it('rejects a file without a token list', () => {
    expect(parseTokensFile([]).ok).toBe(false);
  });
});

describe('the token registry', () => {
  const registry = new TokenRegistry([
    { name: 'hz', sha256: digest, role: 'supervisor', facilities: ['ZJ-HZ-DS07'] },
  ]);

  it('finds the principal of a known token by its SHA-256', () => {
    expect(registry.authenticate('s3cret-token')?.name).toBe('hz');
  });

  it('knows no other token, nor the digest itself', () => {
    expect(registry.authenticate('s3cret-token ')).toBeNull();
    expect(registry.authenticate(digest)).toBeNull();
  });
});

describe('a principal', () => {
  it('covers the facilities of its scope, and system alerts only with "*" or as an SRE', () => {
    const supervisor = new Principal('s', 'supervisor', ['A-DS01']);
    expect(supervisor.covers('A-DS01')).toBe(true);
    expect(supervisor.covers('B-DS01')).toBe(false);
    expect(supervisor.seesFacility(null)).toBe(false);
    expect(new Principal('r', 'sre', ['A-DS01']).seesFacility(null)).toBe(true);
    expect(new Principal('a', 'admin', ['*']).seesFacility(null)).toBe(true);
  });

  it('has a subscription in scope only when every facility of it is', () => {
    const manager = new Principal('m', 'manager', ['A-DS01', 'A-PC01']);
    expect(manager.coversAll(['A-DS01'])).toBe(true);
    expect(manager.coversAll(['A-DS01', 'B-DS01'])).toBe(false);
    expect(manager.coversAll(['*'])).toBe(false);
    expect(new Principal('a', 'admin', ['*']).coversAll(['*'])).toBe(true);
  });

  it('may do what the role matrix gives its role', () => {
    expect(new Principal('m', 'manager', ['*']).may('alerts:resolve')).toBe(false);
    expect(new Principal('s', 'supervisor', ['*']).may('alerts:resolve')).toBe(true);
    expect(new Principal('r', 'sre', ['*']).may('ledgers:read')).toBe(false);
    expect(new Principal('r', 'sre', ['*']).may('lag:read')).toBe(true);
    expect(new Principal('s', 'supervisor', ['*']).may('lag:read')).toBe(false);
  });
});
