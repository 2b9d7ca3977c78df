export {
  createEidVerifier,
  digestEidToken,
  EID_TOKEN_ALGORITHMS,
  type EidTokenPolicy,
  type EidVerifier,
  type EidVerifierOptions,
  type VerifiedEidToken,
} from './eid-verifier.ts';
export type { TrustedEidIssuer } from './trusted-issuers.ts';
