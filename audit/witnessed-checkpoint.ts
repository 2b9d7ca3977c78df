import type { CertificateProfile, ChainVerifier, VerifiedCertificate } from '../certs/index.ts';
import { EinmalError, isEinmalError } from '../core/index.ts';
import { printMemberId } from '../schemas/index.ts';
import {
  type Checkpoint,
  checkpointCertificates,
  verifyCheckpoint,
  verifyCosignature,
} from './checkpoint.ts';

/** The certificate profile a witness cosignature must be made with: the registry's witness key. */
export const WITNESS_COSIGNER_PROFILE: CertificateProfile = 'witness';

/** A checkpoint the log owner signed and the witness cosigned, both chaining to the anchor. */
export interface WitnessedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The gateway whose log it is (the part of `origin` before `#node`). */
  readonly gateway: string;
  /** The log owner's signing certificate, as the chain check found it (its member is the gateway's). */
  readonly signer: VerifiedCertificate;
  /** The witness's certificate. */
  readonly witness: VerifiedCertificate;
}

/**
 * The gateway a checkpoint origin names: `INSTANCE/CLASS/MEMBER/SERVER`, or with a node name
 * `INSTANCE/CLASS/MEMBER/SERVER#node`.
 */
export function gatewayOfOrigin(origin: string): string {
  const hash = origin.indexOf('#');
  return hash === -1 ? origin : origin.slice(0, hash);
}

/**
 * The trust decision for one log checkpoint (DESIGN.md §8, §11): the checkpoint is signed by a
 * signing certificate that chains to the anchor and names the member that owns the gateway of its
 * origin, and it is cosigned, over the very same checkpoint, by a certificate of the witness
 * profile ({@link WITNESS_COSIGNER_PROFILE}) that chains to the anchor. Certificates are checked
 * at the checkpoint's time. Refuses with `Audit.InvalidCheckpoint` and a message naming what is wrong.
 * `gateway`, when given, is the gateway whose log the checkpoint must be.
 *
 * @example
 * const verifier = createChainVerifier({ anchors: [anchorPem], intermediates: directoryCas });
 * const { checkpoint } = await checkWitnessedCheckpoint({ jws, cosignature, verifier, gateway: 'DEMO/GOV/munich/gw1' });
 */
export async function checkWitnessedCheckpoint(input: {
  readonly jws: string;
  readonly cosignature: string;
  readonly verifier: ChainVerifier;
  readonly gateway?: string;
}): Promise<WitnessedCheckpoint> {
  const x5c = checkpointCertificates(input.jws);
  let checkpoint: Checkpoint;
  try {
    checkpoint = await verifyCheckpoint(input.jws, { certificate: x5c[0]! });
  } catch (cause) {
    throw refuse('the checkpoint signature does not verify', cause);
  }
  const gateway = gatewayOfOrigin(checkpoint.origin);
  if (input.gateway !== undefined && gateway !== input.gateway) {
    throw refuse(`the checkpoint is of the log of ${gateway}, not of ${input.gateway}`);
  }
  const at = new Date(checkpoint.time);
  const signer = certificateOf(input.verifier, x5c[0]!, 'signing', at, 'the checkpoint signer');
  const owner = gateway.split('/').slice(0, 3).join('/');
  if (!signer.member || printMemberId(signer.member) !== owner) {
    throw refuse(`the checkpoint is not signed by ${owner}, the member that owns the gateway`);
  }

  const cosigner = checkpointCertificates(input.cosignature);
  try {
    await verifyCosignature(input.cosignature, { certificate: cosigner[0]! }, checkpoint);
  } catch (cause) {
    throw refuse('the witness cosignature does not verify or covers another checkpoint', cause);
  }
  const witness = certificateOf(input.verifier, cosigner[0]!, WITNESS_COSIGNER_PROFILE, at, 'the witness');
  return { checkpoint, gateway, signer, witness };
}

function certificateOf(
  verifier: ChainVerifier,
  base64Der: string,
  usage: CertificateProfile,
  at: Date,
  who: string,
): VerifiedCertificate {
  try {
    return verifier.verify(new Uint8Array(Buffer.from(base64Der, 'base64')), { usage, at });
  } catch (cause) {
    const code = isEinmalError(cause) ? cause.code : 'Pki.InvalidCertificate';
    throw refuse(`the certificate of ${who} is not trusted (${code})`, cause);
  }
}

function refuse(message: string, cause?: unknown): EinmalError {
  return new EinmalError('Audit.InvalidCheckpoint', { message, cause });
}
