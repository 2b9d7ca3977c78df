export {
  createRegistryAdminClient,
  DEFAULT_ADMIN_URL,
  type OperatorCredentials,
  operatorCredentialsFromFederation,
  type RegistryAdminClient,
} from './admin-client.ts';
export { createRegistryApps, type RegistryAppDeps, type RegistryApps } from './app.ts';
export { devSeedCommand, registryCommands } from './cli.ts';
export { type RegistryConfig, registryConfigSchema } from './config.ts';
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
  type CodeTitle,
  type EidIssuer,
  findGateway,
  type Gateway,
  type GlobalGroup,
  isRegisteredClient,
  type LevelOfAssurance,
  listApprovedCas,
  listEidIssuers,
  listGateways,
  listGlobalGroups,
  listMembers,
  listRevocations,
  listServices,
  listSubsystems,
  type Member,
  memberPartOf,
  type RegistryDb,
  type Revocation,
  readDirectoryVersion,
  recordChange,
  registryMigrations,
  removeApprovedCa,
  removeEidIssuer,
  removeGateway,
  removeGlobalGroup,
  removeMember,
  removeRevocation,
  removeService,
  removeSubsystem,
  type Service,
  type Subsystem,
} from './db/index.ts';
export {
  DEV_EID_ISSUER,
  EIDAS_ACR,
  type SeedOptions,
  type SeedResult,
  seedDevFederation,
} from './dev-seed.ts';
export { buildDirectory, type DirectorySettings } from './directory-builder.ts';
export {
  DIRECTORY_JWS_TYPE,
  type DirectorySigner,
  type DirectoryVerification,
  signDirectory,
  verifyDirectory,
} from './directory-jws.ts';
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
export {
  createRegistrationRequest,
  REGISTRATION_JWS_TYPE,
  REGISTRATION_POP_JWS_TYPE,
  type RegistrationClaims,
  registrationClaimsSchema,
  type SigningKey,
  type VerifiedRegistration,
  verifyRegistrationRequest,
} from './registration-request.ts';
export type { Registration } from './registration-store.ts';
export type { RegistrationDb, RegistrationStatus } from './registration-table.ts';
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
  type CheckpointSubmission,
  type CosignedCheckpoint,
  checkpointSubmissionSchema,
  createWitnessRoutes,
  type WitnessRoutesDeps,
  type WitnessSigner,
} from './witness.ts';
