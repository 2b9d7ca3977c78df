import type { X509Certificate } from '@peculiar/x509';
import { verifyConsistency } from '../audit/index.ts';
import {
  memberOfCertificate,
  parseCertificateDer,
  type RevokedSerial,
  validateChain,
} from '../certs/index.ts';
import { EinmalError, isEinmalError } from '../core/index.ts';
import {
  type Checkpoint,
  type CheckpointOrigin,
  checkpointCertificates,
  hashFromBase64,
  parseCheckpointOrigin,
  verifyCheckpoint,
} from '../protocol/index.ts';
import { printMemberId } from '../schemas/index.ts';

/** A checkpoint dated further ahead than this is refused: the gateway's clock is wrong. */
const MAX_FUTURE_SKEW_MS = 5 * 60_000;

/** What the witness trusts a checkpoint signer by: the registry's current trust settings. */
export interface WitnessTrust {
  /** The configuration anchor (federation root). */
  readonly anchor: X509Certificate;
  /** Approved issuing CAs (PEM), from the registry's content. */
  readonly approvedCas: readonly string[];
  readonly revokedSerials: readonly RevokedSerial[];
  readonly now: Date;
}

/** A checkpoint whose signature verified with a trusted member signing certificate. */
export interface SignedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The member named by the signing certificate, `INSTANCE/CLASS/MEMBER`. */
  readonly signer: string;
}

/**
 * Verifies a checkpoint JWS for the witness: its `x5c` chain ends at the anchor through approved
 * CAs, the leaf is an unrevoked signing certificate naming a member, and the signature holds.
 * Refuses with `Witness.InvalidCheckpoint` (not a checkpoint JWS, bad signature, dated in the
 * future) or `Witness.UntrustedSigner` (chain, usage, revocation, no member).
 *
 * @example
 * const { checkpoint, signer } = await verifySignedCheckpoint(jws, { anchor, approvedCas, revokedSerials, now });
 */
export async function verifySignedCheckpoint(jws: unknown, trust: WitnessTrust): Promise<SignedCheckpoint> {
  const x5c = asWitnessError(() => checkpointCertificates(jws));
  let signer: string;
  try {
    const [leaf, ...intermediates] = x5c.map((der) => parseCertificateDer(Buffer.from(der, 'base64')));
    await validateChain({
      certificate: leaf!,
      intermediates: [...intermediates, ...trust.approvedCas],
      anchors: [trust.anchor],
      revokedSerials: trust.revokedSerials,
      at: trust.now,
      usage: 'signing',
    });
    signer = printMemberId(memberOfCertificate(leaf!));
  } catch (cause) {
    throw new EinmalError('Witness.UntrustedSigner', {
      cause,
      detail: isEinmalError(cause) ? cause.code : 'x5c',
    });
  }
  const checkpoint = await asWitnessErrorAsync(() => verifyCheckpoint(jws, { certificate: x5c[0]! }));
  if (Date.parse(checkpoint.time) > trust.now.getTime() + MAX_FUTURE_SKEW_MS) {
    throw new EinmalError('Witness.InvalidCheckpoint', { detail: 'checkpoint dated in the future' });
  }
  return { checkpoint, signer };
}

/**
 * Splits a checkpoint origin into the gateway id and the optional node name:
 * `DEMO/GOV/munich/gw1` or `DEMO/GOV/munich/gw1#node2`. Refuses with `Witness.UnknownOrigin`.
 *
 * @example
 * parseOrigin('DEMO/GOV/munich/gw1#node2'); // { gatewayId: 'DEMO/GOV/munich/gw1', node: 'node2', ... }
 */
export function parseOrigin(origin: string): CheckpointOrigin {
  const parsed = parseCheckpointOrigin(origin);
  if (!parsed) throw new EinmalError('Witness.UnknownOrigin', { detail: { origin } });
  return parsed;
}

/** The checkpoint the witness holds for an origin. */
export interface WitnessedHead {
  readonly size: number;
  readonly root: string;
  /** The witnessed checkpoint's own `time`. */
  readonly time: Date;
}

/**
 * Checks a new checkpoint against the witnessed one (RFC 9162 §2.1.4): the same size must have
 * the same root (`Witness.Fork`), a smaller size is `Witness.LogShrunk`, and a larger size needs
 * a consistency proof from exactly the witnessed size (`Witness.InconsistentCheckpoint`). A larger
 * checkpoint dated before the witnessed one is `Witness.TimeWentBack`: its log is consistent, but an
 * offline verifier refuses checkpoint times that go back, so cosigning it would make the log fail
 * verification for ever (a gateway whose clock stepped back waits until it passes the witnessed
 * time). With nothing witnessed yet, any checkpoint is the first one.
 *
 * @example
 * checkExtendsWitnessed(witnessed, checkpoint, { fromSize, proof });
 */
export function checkExtendsWitnessed(
  witnessed: WitnessedHead | undefined,
  next: Checkpoint,
  consistency: { readonly fromSize: number; readonly proof: readonly string[] },
): void {
  if (!witnessed) return;
  if (next.size < witnessed.size) {
    throw new EinmalError('Witness.LogShrunk', {
      detail: { witnessed: witnessed.size, submitted: next.size },
    });
  }
  if (next.size === witnessed.size) {
    if (next.root !== witnessed.root) {
      throw new EinmalError('Witness.Fork', { detail: { size: next.size } });
    }
    return;
  }
  if (consistency.fromSize !== witnessed.size) {
    throw new EinmalError('Witness.InconsistentCheckpoint', {
      detail: {
        reason: 'proof from another size',
        witnessed: witnessed.size,
        fromSize: consistency.fromSize,
      },
    });
  }
  try {
    verifyConsistency({
      oldSize: witnessed.size,
      newSize: next.size,
      oldRoot: hashFromBase64(witnessed.root),
      newRoot: hashFromBase64(next.root),
      proof: consistency.proof.map((hash) => hashFromBase64(hash)),
    });
  } catch (cause) {
    throw new EinmalError('Witness.InconsistentCheckpoint', {
      cause,
      detail: { witnessed: witnessed.size, submitted: next.size },
    });
  }
  if (Date.parse(next.time) < witnessed.time.getTime()) {
    throw new EinmalError('Witness.TimeWentBack', {
      detail: { witnessed: witnessed.time.toISOString(), submitted: next.time },
    });
  }
}

function asWitnessError<T>(run: () => T): T {
  try {
    return run();
  } catch (cause) {
    throw new EinmalError('Witness.InvalidCheckpoint', { cause, detail: detailOf(cause) });
  }
}

async function asWitnessErrorAsync<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (cause) {
    throw new EinmalError('Witness.InvalidCheckpoint', { cause, detail: detailOf(cause) });
  }
}

const detailOf = (cause: unknown): unknown => (isEinmalError(cause) ? cause.detail : undefined);
