export type { CodeTitle, LevelOfAssurance, ServicePolicy } from '../../schemas/index.ts';
export { type AdapterAnswered, type AdapterAppOptions, createAdapterApp } from './app.ts';
export {
  defineService,
  describeService,
  type ServiceContext,
  type ServiceDefinition,
  type ServiceMetadata,
  type ServiceSpec,
  serviceRoute,
} from './define-service.ts';
export { buildOpenApiDocument, type OpenApiInfo } from './openapi.ts';
export {
  type AdapterListening,
  type AdapterTls,
  isLoopbackHost,
  type RunningAdapter,
  type ServeAdapterOptions,
  serveAdapter,
} from './server.ts';
export {
  type AdapterTestkit,
  type AdapterTestkitOptions,
  type ContractCheck,
  type ContractExample,
  type ContractReport,
  createAdapterTestkit,
  type TestCall,
  type TestResponse,
} from './testkit.ts';
