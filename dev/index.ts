export {
  DEMO_AUDIENCE,
  DEMO_INSTANCE,
  type DemoMember,
  type DemoService,
  demoAccessRules,
  demoMembers,
  demoPorts,
  demoServices,
} from './demo-federation.ts';
export {
  type FederationManifest,
  readFederationManifest,
  writeDevelopmentFederation,
} from './federation-files.ts';
export {
  operatorCredentialsFromFederation,
  registryCredentialsFromFederation,
} from './federation-folder.ts';
export { seedDevFederation } from './registry-seed.ts';
