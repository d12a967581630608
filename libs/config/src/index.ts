export { ConfigError, env, parseEnv } from './env';
export { KafkaSettings } from './kafka-settings';
export { RedisSettings } from './redis-settings';
export { RuleSettings } from './rule-settings';
