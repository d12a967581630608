import { connectionsForLog } from './connections';
import { redactCredentials } from './redact';

describe('redactCredentials', () => {
  it('masks the password of a URL and keeps the user, host, port and db', () => {
    expect(redactCredentials('redis://:s3cret@host:bad')).toBe('redis://:***@host:bad');
    expect(redactCredentials('rediss://ops:s3cret@redis.internal:6380/2')).toBe(
      'rediss://ops:***@redis.internal:6380/2',
    );
  });

  it('masks a lone userinfo, which some servers take for the password', () => {
    expect(redactCredentials('redis://s3cret@host:6379')).toBe('redis://***@host:6379');
  });

  it('leaves nothing of a password that holds an unencoded @ or colon', () => {
    const out = redactCredentials('redis://user:p@ss:w@rd@host:6379');
    expect(out).toBe('redis://user:***@host:6379');
    expect(out).not.toMatch(/ss|rd/);
  });

  it('masks every URL of a list, and user:password nodes given without a scheme', () => {
    expect(redactCredentials('redis://a:one@h1:1,redis://b:two@h2:2')).toBe(
      'redis://a:***@h1:1,redis://b:***@h2:2',
    );
    expect(redactCredentials('h0:7000,:s3cret@h1:7000, u:s3cret@h2:7000')).toBe(
      'h0:7000,:***@h1:7000, u:***@h2:7000',
    );
  });

  it('masks secret query parameters, which ioredis reads as options', () => {
    expect(redactCredentials('redis://host:6379/0?password=s3cret&family=6')).toBe(
      'redis://host:6379/0?password=***&family=6',
    );
  });

  it('leaves text without credentials alone, and masks nothing twice', () => {
    for (const text of ['redis://127.0.0.1:6379', 'localhost:9092,kafka-2:9092', 'ops@example.com', 'a: b'])
      expect(redactCredentials(text)).toBe(text);
    const once = redactCredentials('redis://u:s3cret@h:1 and u:s3cret@h:2');
    expect(redactCredentials(once)).toBe(once);
  });
});

describe('connectionsForLog', () => {
  it('shows where a service connects without any password', () => {
    const shown = connectionsForLog({
      kafka: {
        brokers: ['kafka-1:9093'],
        clientId: 'x',
        ssl: true,
        sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'k-s3cret' },
      },
      redis: { url: 'rediss://default:r-s3cret@redis:6380', clusterNodes: ['r1:7000'] },
    });
    expect(shown).toEqual({
      kafka: { brokers: ['kafka-1:9093'], ssl: true, sasl: 'scram-sha-512' },
      redis: { url: 'rediss://default:***@redis:6380', clusterNodes: ['r1:7000'] },
    });
    expect(JSON.stringify(shown)).not.toMatch(/s3cret/);
  });
});
