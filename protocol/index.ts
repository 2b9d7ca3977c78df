export {
  CHECKPOINT_TYPE,
  type Checkpoint,
  COSIGNATURE_TYPE,
  checkpointCertificates,
  checkpointSchema,
  cosignCheckpoint,
  createCheckpoint,
  type SignCheckpointOptions,
  signCheckpoint,
  type VerificationKey,
  verifyCheckpoint,
  verifyCosignature,
} from './checkpoint.ts';
export { type CheckpointOrigin, logOrigin, parseCheckpointOrigin } from './checkpoint-origin.ts';
export * from './codec/index.ts';
export { readCachedDirectory, writeCachedDirectory } from './directory-cache.ts';
export {
  createDirectoryClient,
  type DirectoryClient,
  type DirectoryClientOptions,
  type DirectoryFetch,
  type DirectoryFreshness,
  type DirectoryResponse,
  type ExchangeSide,
} from './directory-client.ts';
export {
  DIRECTORY_JWS_TYPE,
  type DirectorySigner,
  type DirectoryVerification,
  signDirectory,
  verifyDirectory,
} from './directory-jws.ts';
export {
  type DigestedEnvelope,
  decodeRequestEnvelope,
  decodeResponseEnvelope,
  digestEnvelope,
  type EnvelopeDecoding,
  REQUEST_JWS_TYPE,
  RESPONSE_JWS_TYPE,
  type SigningIdentity,
  signRequestClaims,
  signResponse,
} from './exchange-envelopes.ts';
export {
  createRegistrationRequest,
  REGISTRATION_JWS_TYPE,
  REGISTRATION_POP_JWS_TYPE,
  type RegistrationClaims,
  registrationClaimsSchema,
  type VerifiedRegistration,
  verifyRegistrationRequest,
} from './registration-request.ts';
export { createRegistryFetch, type RegistryFetch, type RegistryRequest } from './registry-fetch.ts';
export {
  createSignerCache,
  type SignerCache,
  type SigningChainVerifier,
  type VerifiedSigner,
} from './signer-cache.ts';
export {
  type CheckpointSubmission,
  type CosignedCheckpoint,
  checkpointSubmissionSchema,
  cosignedCheckpointSchema,
} from './witness-api.ts';
