export { ConfigError, env, parseEnv } from './env';
export { KafkaSettings, kafkaConnectionOf } from './kafka-settings';
export type { KafkaConnectionSettings } from './kafka-settings';
export { RedisSettings } from './redis-settings';
export { RuleSettings, rulesOf } from './rule-settings';
export type { Rules } from './rule-settings';
export { serviceConfigOf, serviceSettings } from './service-settings';
export type { ServiceConfig } from './service-settings';
