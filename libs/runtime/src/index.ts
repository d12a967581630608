export { runService } from './run-service';
export type { ServiceDefinition } from './run-service';
export { closeServiceClients, serviceProviders } from './service-providers';
export type { ServiceProvidersOptions } from './service-providers';
