export { type AccessRule, isAccessGranted, matchesPathPattern } from './access/access-rule.ts';
export { addAccessRule, listAccessRules, removeAccessRule } from './access/access-rule-store.ts';
export { type AuditLog, createAuditLog } from './audit/audit-log.ts';
export { type GatewayConfig, gatewayConfigSchema } from './config.ts';
export { registerIsCertificate } from './consumer/information-systems.ts';
export { gatewayMigrations } from './db/migrations.ts';
export type { GatewayDb } from './db/tables.ts';
export {
  createDirectoryClient,
  createRegistryFetch,
  type DirectoryClient,
  type DirectoryFreshness,
  type ExchangeSide,
} from './directory/index.ts';
export { createEidVerifier, type EidVerifier, type VerifiedEidToken } from './eid/index.ts';
export { createGateway, type Gateway, type GatewayDeps } from './gateway.ts';
export { type FederationFolder, initGateway, type MemberSigningPem } from './registration/index.ts';
export { type RunningGateway, readGatewayConfig, startGateway } from './server.ts';
