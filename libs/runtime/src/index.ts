export { runService } from './run-service';
export type { RunnableConfig, ServiceDefinition } from './run-service';
export { closeServiceClients, serviceProviders } from './service-providers';
export type { ServiceProvidersOptions } from './service-providers';
