export {
  createRegistryAdminClient,
  type OperatorCredentials,
  type RegistryAdminClient,
} from './admin-client.ts';
export { createRegistryApps, type RegistryAppDeps, type RegistryApps } from './app.ts';
export {
  REGISTRY_CREDENTIAL_FILES,
  type RegistryConfig,
  registryConfigSchema,
} from './config.ts';
export type { RegistrationStatus } from './db/index.ts';
export {
  type ApprovedCa,
  addApprovedCa,
  addEidIssuer,
  addGateway,
  addGatewayAuthCertificate,
  addGlobalGroup,
  addMember,
  addRevocation,
  addService,
  addSubsystem,
  type EidIssuer,
  findGateway,
  type Gateway,
  type GlobalGroup,
  isRegisteredClient,
  listApprovedCas,
  listEidIssuers,
  listGateways,
  listGlobalGroups,
  listMembers,
  listRevocations,
  listServices,
  listSubsystems,
  type Member,
  type RegistryDb,
  type Revocation,
  readDirectoryVersion,
  recordChange,
  registryMigrations,
  removeApprovedCa,
  removeEidIssuer,
  removeGateway,
  removeGatewayAuthCertificate,
  removeGlobalGroup,
  removeMember,
  removeRevocation,
  removeService,
  removeSubsystem,
  type Service,
  type Subsystem,
} from './db/index.ts';
export { buildDirectory, type DirectorySettings } from './directory-builder.ts';
export {
  createDirectoryPublisher,
  type DirectoryPublisher,
  type PublishedDirectory,
} from './directory-publisher.ts';
export {
  createRegistrationRoutes,
  type RegistrationRoutes,
  type RegistrationRoutesDeps,
} from './registration.ts';
export type { Registration } from './registration-store.ts';
export {
  listenRegistry,
  type RegistryCredentials,
  type RegistryListeners,
  type RegistryRuntimeOptions,
  type RunningRegistry,
  readRegistryCredentials,
  startRegistry,
} from './server.ts';
export {
  createWitnessRoutes,
  type WitnessRoutesDeps,
  type WitnessSigner,
} from './witness.ts';
