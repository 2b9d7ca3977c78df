export {
  GATEWAY_INIT_FILES,
  type GatewayInitOptions,
  type GatewayInitResult,
  initGateway,
} from './gateway-init.ts';
export {
  fetchRegistrationCertificate,
  type RegistrationFetch,
  submitRegistration,
} from './registration-client.ts';
export { gatewayRegistrationCommands } from './registration-commands.ts';
