import { type KeyObject, type webcrypto, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { EinmalError } from '../core/errors/index.ts';
import { canonicalJson } from './codec/canonical-json.ts';
import {
  readX5c,
  type SigningKey,
  signCompactJwsBytes,
  splitCompactJws,
  verifyJwsSignature,
} from './codec/compact-jws.ts';
import { base64HashSchema, hashToBase64 } from './codec/hash-codec.ts';

/** JWS `typ` of a checkpoint signed by the gateway node that keeps the log. */
export const CHECKPOINT_TYPE = 'einmal-checkpoint+jws';
/** JWS `typ` of a witness's cosignature over a checkpoint. */
export const COSIGNATURE_TYPE = 'einmal-cosignature+jws';

/** Longest compact JWS accepted; a checkpoint with a certificate chain is a few kilobytes. */
const MAX_JWS_LENGTH = 64 * 1024;

/**
 * A log checkpoint (docs/protocol.md §11.2): the tree of `origin` had `size` records with root `root` at `time`.
 * The JWS payload is its RFC 8785 canonical JSON, and nothing else is accepted.
 */
export const checkpointSchema = z.strictObject({
  /** The printed identifier of the gateway node whose log this is. */
  origin: z.string().min(1).max(255),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** MTH of the first `size` records, standard base64. */
  root: base64HashSchema,
  /** ISO 8601 UTC time of signing. */
  time: z.iso.datetime(),
});

export type Checkpoint = z.infer<typeof checkpointSchema>;

/** Longest certificate chain a checkpoint or cosignature may carry. */
const MAX_CHAIN_LENGTH = 10;

/** The key a signature is checked with: a public key, or the signer's certificate (base64 DER). */
export type VerificationKey =
  | { readonly publicKey: KeyObject | webcrypto.CryptoKey }
  | { readonly certificate: string };

export interface SignCheckpointOptions {
  readonly checkpoint: Checkpoint;
  readonly privateKey: SigningKey;
  /** The signer's certificate first, then its issuers, each base64 DER (the JWS `x5c`). */
  readonly certificateChain: readonly string[];
}

/**
 * Builds a checkpoint for the tree `origin` of `size` leaves with root `root`, stamped `now`.
 *
 * @example
 * const checkpoint = createCheckpoint({ origin: node, size, root: await getRoot(db, node, size), now: clock.now() });
 */
export function createCheckpoint(input: {
  origin: string;
  size: number;
  root: Uint8Array;
  now: Date;
}): Checkpoint {
  return checkpointSchema.parse({
    origin: input.origin,
    size: input.size,
    root: hashToBase64(input.root),
    time: input.now.toISOString(),
  });
}

/**
 * Signs a checkpoint as a compact JWS (ES256, `typ` {@link CHECKPOINT_TYPE}, `x5c` the chain).
 *
 * @example
 * const jws = await signCheckpoint({ checkpoint, privateKey: keys.signing, certificateChain: keys.chain });
 */
export function signCheckpoint(options: SignCheckpointOptions): Promise<string> {
  return signStatement(CHECKPOINT_TYPE, options);
}

/**
 * Verifies a checkpoint JWS with the signer's key or certificate and returns the checkpoint.
 * Whether that certificate is trusted (chain, revocation, owner) is the caller's check.
 * Refuses with `Audit.InvalidCheckpoint`.
 *
 * @example
 * const checkpoint = await verifyCheckpoint(jws, { certificate: checkpointCertificates(jws)[0] });
 */
export function verifyCheckpoint(jws: unknown, key: VerificationKey): Promise<Checkpoint> {
  return verifyStatement(CHECKPOINT_TYPE, jws, key);
}

/**
 * A witness's cosignature: a compact JWS by the witness over the same checkpoint payload, `typ`
 * {@link COSIGNATURE_TYPE}. The witness signs only after verifying the checkpoint and a consistency
 * proof from the last checkpoint it cosigned.
 */
export function cosignCheckpoint(options: SignCheckpointOptions): Promise<string> {
  return signStatement(COSIGNATURE_TYPE, options);
}

/**
 * Verifies a cosignature and returns the checkpoint it covers; with `expected`, also refuses a
 * cosignature over any other checkpoint. Refuses with `Audit.InvalidCheckpoint`.
 *
 * @example
 * await verifyCosignature(cosignature, { certificate: witnessCertificate }, checkpoint);
 */
export async function verifyCosignature(
  jws: unknown,
  key: VerificationKey,
  expected?: Checkpoint,
): Promise<Checkpoint> {
  const checkpoint = await verifyStatement(COSIGNATURE_TYPE, jws, key);
  if (expected && canonicalJson(expected) !== canonicalJson(checkpoint)) {
    throw new EinmalError('Audit.InvalidCheckpoint', { detail: 'cosignature covers another checkpoint' });
  }
  return checkpoint;
}

/**
 * The `x5c` certificate chain (base64 DER, signer first) of a checkpoint or cosignature, read
 * without verifying anything, so the caller can check the chain and then verify with `x5c[0]`.
 */
export function checkpointCertificates(jws: unknown): string[] {
  return readStatement(jws).x5c;
}

async function signStatement(typ: string, options: SignCheckpointOptions): Promise<string> {
  const checkpoint = checkpointSchema.parse(options.checkpoint);
  if (options.certificateChain.length === 0) throw new TypeError('a certificate chain is required');
  return signCompactJwsBytes(
    { alg: 'ES256', typ, x5c: [...options.certificateChain] },
    canonicalJson(checkpoint),
    options.privateKey,
  );
}

async function verifyStatement(typ: string, jws: unknown, key: VerificationKey): Promise<Checkpoint> {
  const split = readStatement(jws);
  if (split.header.typ !== typ) throw invalid(`typ is not ${typ}`);
  if (!verifyJwsSignature(split, publicKeyOf(key))) {
    throw new EinmalError('Audit.InvalidCheckpoint', { detail: 'signature' });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(split.payloadBytes);
  } catch (cause) {
    throw new EinmalError('Audit.InvalidCheckpoint', { cause, detail: 'payload is not UTF-8' });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new EinmalError('Audit.InvalidCheckpoint', { cause, detail: 'payload is not JSON' });
  }
  const checkpoint = checkpointSchema.safeParse(parsed);
  if (!checkpoint.success) throw invalid(`payload: ${checkpoint.error.issues[0]?.message}`);
  if (canonicalJson(checkpoint.data) !== text) throw invalid('payload is not canonical JSON');
  return checkpoint.data;
}

/** The statement taken apart, with an ES256 header of some `typ` and a usable `x5c`. */
function readStatement(jws: unknown) {
  const split = splitCompactJws(jws, MAX_JWS_LENGTH);
  if (!split) throw invalid('not a compact JWS');
  const x5c = readX5c(split.header.x5c, MAX_CHAIN_LENGTH);
  if (split.header.alg !== 'ES256' || typeof split.header.typ !== 'string' || !x5c) throw invalid('header');
  return { ...split, x5c };
}

function publicKeyOf(key: VerificationKey): KeyObject | webcrypto.CryptoKey {
  if ('publicKey' in key) return key.publicKey;
  try {
    return new X509Certificate(Buffer.from(key.certificate, 'base64')).publicKey;
  } catch (cause) {
    throw new EinmalError('Audit.InvalidCheckpoint', { cause, detail: 'certificate' });
  }
}

function invalid(detail: string): EinmalError {
  return new EinmalError('Audit.InvalidCheckpoint', { detail });
}
