import { type KeyObject, X509Certificate } from 'node:crypto';
import { certificateFingerprint, normalizeSerial } from '../certs/index.ts';
import { EinmalError, isEinmalError } from '../core/errors/index.ts';
import { type MemberId, printMemberId } from '../schemas/index.ts';

/** The verified signer of an `Einmal-Request` / `Einmal-Response`. */
export interface VerifiedSigner {
  /** Printed member id taken from the signing certificate. */
  readonly member: string;
  readonly publicKey: KeyObject;
  readonly serialNumber: string;
  readonly fingerprint: string;
}

/** The part of the certificate chain verifier (certs/) this cache needs. */
export interface SigningChainVerifier {
  verify(certificate: Uint8Array, options: { usage: 'signing'; at?: Date }): { member?: MemberId };
}

const MAX_ENTRIES = 10_000;
/** Longest chain an exchange envelope carries: the signing certificate and three CAs. */
const MAX_CHAIN_LENGTH = 4;

/**
 * Turns a JWS `x5c` chain into a verified signer, once per distinct signing certificate: the chain
 * check against the approved CAs runs on first sight, later requests by the same member hit the
 * cache. Revocation is checked on every call against `isRevoked` (the directory's list), so a
 * revocation takes effect with the next directory without flushing anything.
 *
 * @example
 * const signers = createSignerCache({ verifier, isRevoked: (serial) => directory.isRevokedSerial(serial) });
 * const signer = signers.resolve(jws.header.x5c, 'Server.ServerProxy');
 */
export function createSignerCache(options: {
  verifier: SigningChainVerifier;
  isRevoked: (serialNumber: string) => boolean;
  /** Milliseconds since the epoch (core's `Clock`). */
  clock: () => number;
}) {
  const cache = new Map<string, VerifiedSigner>();

  return {
    /**
     * @throws EinmalError `UntrustedSigner` (no chain, wrong CA, not a signing certificate, no member)
     *   or `RevokedSigner`, in the given namespace (provider or consumer side).
     */
    resolve(x5c: unknown, side: 'Server.ServerProxy' | 'Server.ClientProxy'): VerifiedSigner {
      const untrusted =
        side === 'Server.ServerProxy'
          ? 'Server.ServerProxy.UntrustedSigner'
          : 'Server.ClientProxy.ResponseSignature';
      // The envelope's header schema has checked the chain's form (readX5c's rules); what is cached
      // is keyed by the signing certificate, so only its presence is checked again here.
      const leaf = Array.isArray(x5c) && x5c.length <= MAX_CHAIN_LENGTH ? x5c[0] : undefined;
      if (typeof leaf !== 'string' || leaf.length === 0) {
        throw new EinmalError(untrusted, { detail: 'x5c missing or malformed' });
      }
      let signer = cache.get(leaf);
      if (!signer) {
        signer = verifyLeaf(leaf, options.verifier, new Date(options.clock()), untrusted);
        if (cache.size >= MAX_ENTRIES) cache.clear();
        cache.set(leaf, signer);
      }
      if (options.isRevoked(signer.serialNumber)) {
        throw new EinmalError(
          side === 'Server.ServerProxy'
            ? 'Server.ServerProxy.RevokedSigner'
            : 'Server.ClientProxy.ResponseSignature',
          { detail: { serial: signer.serialNumber } },
        );
      }
      return signer;
    },
    /** Forgets every verified signer, e.g. when the approved CAs change. */
    clear(): void {
      cache.clear();
    },
  };
}

export type SignerCache = ReturnType<typeof createSignerCache>;

function verifyLeaf(
  leafBase64: string,
  verifier: SigningChainVerifier,
  at: Date,
  untrusted: 'Server.ServerProxy.UntrustedSigner' | 'Server.ClientProxy.ResponseSignature',
): VerifiedSigner {
  let der: Buffer;
  let cert: X509Certificate;
  try {
    der = Buffer.from(leafBase64, 'base64');
    cert = new X509Certificate(der);
  } catch (error) {
    throw new EinmalError(untrusted, { cause: error, detail: 'x5c[0] is not a certificate' });
  }
  let member: MemberId | undefined;
  try {
    member = verifier.verify(der, { usage: 'signing', at }).member;
  } catch (error) {
    if (
      isEinmalError(error) &&
      error.code === 'Pki.Revoked' &&
      untrusted === 'Server.ServerProxy.UntrustedSigner'
    ) {
      throw new EinmalError('Server.ServerProxy.RevokedSigner', { cause: error });
    }
    throw new EinmalError(untrusted, { cause: error, detail: isEinmalError(error) ? error.code : undefined });
  }
  if (!member) throw new EinmalError(untrusted, { detail: 'signing certificate names no member' });
  return {
    member: printMemberId(member),
    publicKey: cert.publicKey,
    serialNumber: normalizeSerial(cert.serialNumber),
    fingerprint: certificateFingerprint(der),
  };
}
