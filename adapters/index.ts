export {
  businessRegisterMigrations,
  createBusinessRegisterAdapter,
  seedBusinessRegister,
} from './business-register/index.ts';
export { adapterCommands } from './cli.ts';
export { createPopulationAdapter, populationMigrations, seedPopulation } from './population/index.ts';
export { type StartSampleAdapterOptions, startSampleAdapter } from './sample-adapter.ts';
export {
  isSampleRegistryName,
  SAMPLE_REGISTRY_NAMES,
  type SampleRegistry,
  type SampleRegistryName,
  sampleRegistries,
} from './sample-registries.ts';
export {
  type AdapterAppOptions,
  type AdapterListening,
  type AdapterTestkit,
  type AdapterTestkitOptions,
  type AdapterTls,
  buildOpenApiDocument,
  type CodedTitle,
  type ContractCheck,
  type ContractExample,
  type ContractReport,
  createAdapterApp,
  createAdapterTestkit,
  defineService,
  describeService,
  isLoopbackHost,
  type LevelOfAssurance,
  type OpenApiInfo,
  type RunningAdapter,
  type ServeAdapterOptions,
  type ServiceContext,
  type ServiceDefinition,
  type ServiceMetadata,
  type ServiceSpec,
  serveAdapter,
  serviceRoute,
  type TestCall,
  type TestResponse,
} from './sdk/index.ts';
export { createVehiclesAdapter, seedVehicles, vehiclesMigrations } from './vehicles/index.ts';
