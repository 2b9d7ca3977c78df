/**
 * The adapter SDK, the public entry `einmal/adapter-sdk`: declare services and an adapter, serve it
 * to the provider gateway, and the errors a handler throws. The testkit is `einmal/adapter-sdk/testkit`.
 */

/** The zod the SDK validates with: declare request and response schemas with this one. */
export { z } from 'zod';
export {
  EinmalError,
  type ErrorCode,
  isEinmalError,
} from '../../core/errors/index.ts';
export { createLogger, type Logger, silentLogger } from '../../core/index.ts';
export type { CodeTitle, LevelOfAssurance, ServicePolicy } from '../../schemas/index.ts';
export {
  type AdapterDefinition,
  type AdapterModule,
  type AdapterModuleContext,
  defineAdapter,
  resolveAdapter,
  type StartAdapterOptions,
  startAdapter,
} from './adapter.ts';
export { type AdapterAnswered, type AdapterAppOptions, createAdapterApp } from './app.ts';
export {
  declareService,
  defineService,
  describeService,
  type PersonalDataContext,
  type PersonalDataServiceSpec,
  type PublicServiceSpec,
  type ServiceContext,
  type ServiceDeclaration,
  type ServiceDeclarationSpec,
  type ServiceDefinition,
  type ServiceMetadata,
  type ServiceSpec,
  serviceRoute,
} from './define-service.ts';
export { buildOpenApiDocument, type OpenApiInfo } from './openapi.ts';
export type { PersonPaths } from './person-paths.ts';
export {
  type AdapterListening,
  type AdapterTls,
  isLoopbackHost,
  type RunningAdapter,
  type ServeAdapterOptions,
  serveAdapter,
} from './server.ts';
