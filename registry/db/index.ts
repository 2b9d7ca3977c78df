export { readDirectoryVersion, recordChange } from './change.ts';
export { addEidIssuer, type EidIssuer, listEidIssuers, removeEidIssuer } from './eid-issuers.ts';
export {
  addGateway,
  addGatewayAuthCertificate,
  findGateway,
  type Gateway,
  listGateways,
  removeGateway,
  removeGatewayAuthCertificate,
} from './gateways.ts';
export { addGlobalGroup, type GlobalGroup, listGlobalGroups, removeGlobalGroup } from './groups.ts';
export {
  addMember,
  addSubsystem,
  isRegisteredClient,
  listMembers,
  listSubsystems,
  type Member,
  removeMember,
  removeSubsystem,
  type Subsystem,
} from './members.ts';
export { registryMigrations } from './migrations.ts';
export { addService, listServices, removeService, type Service } from './services.ts';
export type {
  RegistrationStatus,
  RegistrationTable,
  RegistryDb,
  WitnessCheckpointTable,
  WitnessedCheckpointTable,
  WitnessForkTable,
} from './tables.ts';
export {
  type ApprovedCa,
  addApprovedCa,
  addRevocation,
  listApprovedCas,
  listRevocations,
  type Revocation,
  removeApprovedCa,
  removeRevocation,
} from './trust-anchors.ts';
