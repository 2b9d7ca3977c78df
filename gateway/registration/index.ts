export {
  GATEWAY_INIT_FILES,
  type GatewayInitOptions,
  type GatewayInitResult,
  initGateway,
  type MemberSigningPem,
} from './gateway-init.ts';
export {
  fetchRegistrationCertificate,
  type RegistrationFetch,
  submitRegistration,
} from './registration-client.ts';
