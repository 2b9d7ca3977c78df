export {
  businessRegisterMigrations,
  createBusinessRegisterAdapter,
  seedBusinessRegister,
} from './business-register/index.ts';
export { createPopulationAdapter, populationMigrations, seedPopulation } from './population/index.ts';
export {
  type OpenSampleAdapterOptions,
  openSampleAdapter,
  type StartSampleAdapterOptions,
  startSampleAdapter,
} from './sample-adapter.ts';
export { storyCitizen, type TestCitizen, testCitizens } from './sample-citizens.ts';
export {
  describeSampleRegistry,
  isSampleRegistryName,
  SAMPLE_REGISTRY_NAMES,
  type SampleRegistry,
  type SampleRegistryName,
  sampleRegistries,
} from './sample-registries.ts';
export {
  type AdapterAppOptions,
  type AdapterDefinition,
  type AdapterListening,
  type AdapterTls,
  buildOpenApiDocument,
  type CodeTitle,
  createAdapterApp,
  defineAdapter,
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
  startAdapter,
} from './sdk/index.ts';
export { createVehiclesAdapter, seedVehicles, vehiclesMigrations } from './vehicles/index.ts';
