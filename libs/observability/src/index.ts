export { JsonLogger, LOG_LEVELS } from './logger';
export type { LogLevel } from './logger';
export { Metrics } from './metrics';
