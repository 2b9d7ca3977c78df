export { directoryScopes } from './directory-scopes.ts';
export { CLI_REDIRECT_URI, type EidClientSettings, eidClients } from './eid-clients.ts';
export { createEidProvider, type EidProvider, type EidProviderOptions } from './eid-provider.ts';
export {
  EID_SERVICE_SCOPES,
  EIDAS_ACR,
  eidasAcrLevels,
  type ScopeSource,
  scopesOfDirectory,
} from './eid-scopes.ts';
export { type EidServerSettings, type RunningEidServer, startEidServer } from './eid-server.ts';
export { type CitizenTokenRequest, obtainCitizenToken } from './obtain-citizen-token.ts';
export {
  type EidProviderKeys,
  generateEidProviderKeys,
  loadOrCreateEidProviderKeys,
} from './provider-keys.ts';
