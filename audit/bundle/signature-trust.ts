import { type KeyObject, X509Certificate } from 'node:crypto';
import {
  type CertificateProfile,
  type ChainVerifier,
  createChainVerifier,
  parseCertificateBundle,
  type VerifiedCertificate,
} from '../../certs/index.ts';
import { isEinmalError } from '../../core/errors/index.ts';
import { parseJsonObject, readX5c, verifyEs256 } from '../../protocol/codec/index.ts';

/** Why a signature is not accepted, in words an auditor can act on. */
export type SignatureProblem = string;

/** A compact JWS split into the parts a verifier needs; `undefined` members mean malformed. */
export interface ParsedJws {
  readonly typ: unknown;
  readonly x5c: readonly string[];
  readonly payload: Record<string, unknown>;
  /** The signer's certificate as the chain check found it (its member, its chain to the anchor). */
  readonly certificate: VerifiedCertificate;
}

/**
 * Checks compact ES256 JWS offline: the signature with the key of `x5c[0]`, and that certificate's
 * chain to the anchors at the time the signature claims. Certificates and keys are cached by their
 * `x5c` text, so a log signed by a few members costs one ECDSA verification per signature.
 */
export interface SignatureTrust {
  /**
   * Verifies `jws`; returns its header and payload, or the problem. `usage` is the certificate
   * profile the signer must hold (not checked when omitted), `at` the time the chain must be valid.
   */
  check(jws: string, options: { usage?: CertificateProfile; at: Date }): ParsedJws | SignatureProblem;
}

interface Signer {
  readonly der: Uint8Array;
  readonly publicKey: KeyObject;
  /** The certificate's subject, to name the signer when it is refused. */
  readonly subject: string;
}

const B64URL = /^[A-Za-z0-9_-]+$/;
/** Headers compared before the map is asked: a log's records alternate between a few signers. */
const RECENT_HEADERS = 4;
/** Longest certificate chain a signature in the log may carry. */
const MAX_CHAIN_LENGTH = 10;

/**
 * Builds the trust for one verification run. `anchorsPem` are the trust anchors (the federation
 * root); `intermediatesPem` the CA certificates that may link a signer to them (the bundle's
 * `certificates.pem`: a certificate there is used only if it chains to an anchor). Or a chain
 * `verifier` built elsewhere, e.g. from a verified directory with its revocations.
 *
 * @example
 * const trust = createSignatureTrust({ anchorsPem: rootPem, intermediatesPem: bundleCertificates });
 * const parsed = trust.check(record.requestSignature, { usage: 'signing', at: new Date(record.logTime) });
 */
export function createSignatureTrust(
  options: { anchorsPem: string; intermediatesPem: string } | { verifier: ChainVerifier },
): SignatureTrust {
  const verifier = 'verifier' in options ? options.verifier : verifierOf(options);
  type Header = { typ: unknown; x5c: string[]; signer: Signer } | SignatureProblem;
  const headers = new Map<string, Header>();
  /** The last few headers read, as `[segment, header]`, tried before the map. */
  const recentHeaders: ([string, Header] | undefined)[] = new Array(RECENT_HEADERS).fill(undefined);
  let nextRecent = 0;

  /** The header of segment `h`; `undefined` when `h` is not base64url (checked once per header). */
  function readHeader(segment: string) {
    // Records alternate between a few signers: comparing with the last headers read is cheaper than
    // hashing a header of a few kilobytes for the map.
    for (const recent of recentHeaders) if (recent !== undefined && recent[0] === segment) return recent[1];
    let cached = headers.get(segment);
    if (cached === undefined) {
      if (!B64URL.test(segment)) return undefined;
      cached = parseHeader(segment);
      if (headers.size > 10_000) headers.clear();
      headers.set(segment, cached);
    }
    recentHeaders[nextRecent] = [segment, cached];
    nextRecent = (nextRecent + 1) % RECENT_HEADERS;
    return cached;
  }

  return {
    check(jws, { usage, at }) {
      const parts = jws.split('.');
      if (parts.length !== 3 || !B64URL.test(parts[1]!) || !B64URL.test(parts[2]!))
        return 'not a compact JWS';
      const [h, p, s] = parts as [string, string, string];
      // A log's signatures share a few headers (each carries its signer's chain): the cache is
      // asked first, so a known header is neither scanned nor parsed again.
      const header = readHeader(h);
      if (header === undefined) return 'not a compact JWS';
      if (typeof header === 'string') return header;
      let certificate: VerifiedCertificate;
      try {
        certificate = verifier.verify(header.signer.der, { at, ...(usage ? { usage } : {}) });
      } catch (error) {
        return untrustedSigner(header.signer.subject, error, usage, at);
      }
      const signature = Buffer.from(s, 'base64url');
      if (signature.length !== 64) return 'the signature is not an ES256 signature';
      // The signing input is the JWS up to its second dot: a slice of it, not a copy.
      if (!verifyEs256(jws.slice(0, h.length + 1 + p.length), signature, header.signer.publicKey))
        return 'the signature does not verify';
      const payload = parseJsonObject(Buffer.from(p, 'base64url'));
      if (payload === undefined) return 'the signed payload is not a JSON object';
      return { typ: header.typ, x5c: header.x5c, payload, certificate };
    },
  };
}

function verifierOf(options: { anchorsPem: string; intermediatesPem: string }): ChainVerifier {
  const intermediates = options.intermediatesPem.trim()
    ? parseCertificateBundle(options.intermediatesPem)
    : [];
  return createChainVerifier({ anchors: parseCertificateBundle(options.anchorsPem), intermediates });
}

function parseHeader(segment: string) {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return 'the JWS header is not JSON';
  }
  const { alg, typ, crit, x5c: value } = (header ?? {}) as Record<string, unknown>;
  if (alg !== 'ES256' || crit !== undefined) return 'the JWS algorithm is not ES256';
  const x5c = readX5c(value, MAX_CHAIN_LENGTH);
  if (!x5c) return 'the JWS names no signer certificate (x5c)';
  try {
    const der = new Uint8Array(Buffer.from(x5c[0]!, 'base64'));
    const certificate = new X509Certificate(der);
    const signer = {
      der,
      publicKey: certificate.publicKey,
      subject: certificate.subject.replaceAll('\n', ', '),
    };
    return { typ, x5c, signer };
  } catch {
    return "the signer's certificate (x5c) is malformed";
  }
}

/** Why the signer's certificate is refused, naming it and what was expected. */
function untrustedSigner(
  subject: string,
  error: unknown,
  usage: CertificateProfile | undefined,
  at: Date,
): SignatureProblem {
  const code = isEinmalError(error) ? error.code : 'Pki.InvalidCertificate';
  const signer = `the signer's certificate (${subject})`;
  switch (code) {
    case 'Pki.WrongUsage':
      return `${signer} was not issued for ${usage} (${code})`;
    case 'Pki.UntrustedChain':
      return `${signer} does not chain to the anchor (${code})`;
    case 'Pki.Expired':
      return `${signer} is not valid at ${at.toISOString()} (${code})`;
    default:
      return `${signer} is not trusted (${code})`;
  }
}
