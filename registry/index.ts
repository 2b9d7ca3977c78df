export {
  DIRECTORY_JWS_TYPE,
  type DirectorySigner,
  type DirectoryVerification,
  signDirectory,
  verifyDirectory,
} from './directory-jws.ts';
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
