export { JsonLogger, LOG_LEVELS } from './logger';
export type { LogLevel } from './logger';
export { Metrics } from './metrics';
export type { MetricsOwner } from './metrics';
export { HTTP_TIMEOUT_DEFAULTS, startOpsServer } from './ops-server';
export type {
  HttpTimeouts,
  OpsServer,
  OpsServerOptions,
  ReadinessCheck,
  ReadinessChecks,
  ReadinessReport,
} from './ops-server';
