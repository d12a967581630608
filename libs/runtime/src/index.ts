export { runService } from './run-service';
export type { ServiceDefinition } from './run-service';
