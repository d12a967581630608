import { z } from 'zod';

import { ConfigError, env, parseEnv } from './env';
import { KafkaSettings } from './kafka-settings';
import { RedisSettings } from './redis-settings';
import { RuleSettings } from './rule-settings';

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

  it('reads booleans and lists', () => {
    expect(parseEnv(RuleSettings, { STRICT_FACILITIES: 'yes' }).STRICT_FACILITIES).toBe(true);
    expect(parseEnv(RedisSettings, { REDIS_CLUSTER_NODES: 'a:1, b:2' }).REDIS_CLUSTER_NODES).toEqual([
      'a:1',
      'b:2',
    ]);
  });
});
