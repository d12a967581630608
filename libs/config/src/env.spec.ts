import { z } from 'zod';

import { ConfigError, env, parseEnv } from './env';
import { KafkaSettings } from './kafka-settings';
import { RedisSettings } from './redis-settings';
import { RuleSettings } from './rule-settings';

/** The problem lines of the ConfigError `parse` throws. */
function problemsOf(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  it('applies the defaults of the SPEC when nothing is set', () => {
    const rules = parseEnv(RuleSettings, {});
    expect(rules).toMatchObject({
      DEDUP_DAYS: 7,
      ORPHAN_WAIT_MINUTES: 30,
      MAX_EVENT_BYTES: 65_536,
      STRICT_FACILITIES: false,
    });
    expect(parseEnv(KafkaSettings, {}).KAFKA_BROKERS).toEqual(['localhost:9092']);
    expect(parseEnv(RedisSettings, {})).toEqual({
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_CLUSTER_NODES: [],
    });
  });

  it('names every bad variable on a line of its own', () => {
    const schema = RuleSettings.and(KafkaSettings);
    let error: unknown;
    try {
      parseEnv(schema, { DEDUP_DAYS: 'seven', STRICT_FACILITIES: 'maybe', KAFKA_BROKERS: 'localhost' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems.find((p) => p.startsWith('DEDUP_DAYS:'))).toContain('"seven"');
    expect(problems.find((p) => p.startsWith('STRICT_FACILITIES:'))).toContain('true or false');
    expect(problems.some((p) => p.startsWith('KAFKA_BROKERS'))).toBe(true);
  });

  it('never prints a secret it rejects', () => {
    const schema = z.object({ KAFKA_SASL_PASSWORD: env.int(1, 0, 1) });
    expect(() => parseEnv(schema, { KAFKA_SASL_PASSWORD: 'hunter2' })).toThrow(/\*\*\*/);
  });

  it('requires SASL credentials when a SASL mechanism is set', () => {
    expect(() => parseEnv(KafkaSettings, { KAFKA_SASL_MECHANISM: 'plain' })).toThrow(/KAFKA_SASL_USERNAME/);
  });

  it('names REDIS_URL when it is unusable, and prints it without its password', () => {
    const problems = problemsOf(() => parseEnv(RedisSettings, { REDIS_URL: 'redis://:s3cret@host:bad' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^REDIS_URL: /);
    expect(problems[0]).toContain('"redis://:***@host:bad"');
    expect(problems[0]).not.toContain('s3cret');
  });

  it('accepts the Redis URLs ioredis takes, and refuses the rest', () => {
    for (const url of ['redis://127.0.0.1:6379', 'rediss://u:p%40ss@redis.internal:6380/3', 'redis://host'])
      expect(parseEnv(RedisSettings, { REDIS_URL: url }).REDIS_URL).toBe(url);
    for (const url of [
      'http://host:6379',
      'redis://',
      'redis://host:99999',
      'redis://host:6379/zero',
      'host:6379',
    ])
      expect(() => parseEnv(RedisSettings, { REDIS_URL: url })).toThrow(/REDIS_URL/);
  });

  it('prints no password of a bad broker or cluster node list', () => {
    const problems = problemsOf(() =>
      parseEnv(RedisSettings.and(KafkaSettings), {
        REDIS_CLUSTER_NODES: 'r1:7000,:s3cret@r2:7000',
        KAFKA_BROKERS: 'svc:s3cret@kafka:9092',
      }),
    );
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['KAFKA_BROKERS', 'REDIS_CLUSTER_NODES']);
    expect(problems.join('\n')).not.toContain('s3cret');
  });

  it('masks a password in any configuration problem, whoever wrote the line', () => {
    const error = new ConfigError(['REDIS_URL: cannot reach redis://:s3cret@r:6379 (got "x")']);
    expect(error.problems).toEqual(['REDIS_URL: cannot reach redis://:***@r:6379 (got "x")']);
    expect(error.message).not.toContain('s3cret');
  });

  describe('SASL without TLS', () => {
    const sasl = {
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD: 'k-s3cret',
    };

    it('is refused at start, naming KAFKA_SSL and the setting that would allow it', () => {
      const problems = problemsOf(() => parseEnv(KafkaSettings, { ...sasl, KAFKA_SSL: 'false' }));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^KAFKA_SSL: must be true when KAFKA_SASL_MECHANISM is set/);
      expect(problems[0]).toContain('KAFKA_ALLOW_SASL_WITHOUT_TLS=true');
      expect(problems[0]).not.toContain('k-s3cret');
      expect(() => parseEnv(KafkaSettings, sasl)).toThrow(/KAFKA_SSL/); // unset is false
    });

    it('is accepted with TLS, or when KAFKA_ALLOW_SASL_WITHOUT_TLS says so', () => {
      expect(parseEnv(KafkaSettings, { ...sasl, KAFKA_SSL: 'true' }).KAFKA_SSL).toBe(true);
      const allowed = parseEnv(KafkaSettings, { ...sasl, KAFKA_ALLOW_SASL_WITHOUT_TLS: 'true' });
      expect(allowed).toMatchObject({ KAFKA_SSL: false, KAFKA_SASL_MECHANISM: 'plain' });
    });

    it('does not concern a client without SASL', () => {
      expect(parseEnv(KafkaSettings, { KAFKA_SSL: 'false' }).KAFKA_ALLOW_SASL_WITHOUT_TLS).toBe(false);
    });
  });

  it('reads booleans and lists', () => {
    expect(parseEnv(RuleSettings, { STRICT_FACILITIES: 'yes' }).STRICT_FACILITIES).toBe(true);
    expect(parseEnv(RedisSettings, { REDIS_CLUSTER_NODES: 'a:1, b:2' }).REDIS_CLUSTER_NODES).toEqual([
      'a:1',
      'b:2',
    ]);
  });
});
