import { createHash, type KeyObject, verify, X509Certificate } from 'node:crypto';
import {
  type CertificateProfile,
  type ChainVerifier,
  createChainVerifier,
  parseCertificateBundle,
  type VerifiedCertificate,
} from '../certs/index.ts';
import { isEinmalError } from '../core/index.ts';

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
  const headers = new Map<string, { typ: unknown; x5c: string[]; signer: Signer } | SignatureProblem>();

  function readHeader(segment: string) {
    let cached = headers.get(segment);
    if (cached === undefined) {
      cached = parseHeader(segment);
      if (headers.size > 10_000) headers.clear();
      headers.set(segment, cached);
    }
    return cached;
  }

  return {
    check(jws, { usage, at }) {
      const parts = jws.split('.');
      if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) return 'not a compact JWS';
      const [h, p, s] = parts as [string, string, string];
      const header = readHeader(h);
      if (typeof header === 'string') return header;
      let certificate: VerifiedCertificate;
      try {
        certificate = verifier.verify(header.signer.der, { at, ...(usage ? { usage } : {}) });
      } catch (error) {
        return untrustedSigner(header.signer.subject, error, usage, at);
      }
      const signature = Buffer.from(s, 'base64url');
      if (signature.length !== 64) return 'the signature is not an ES256 signature';
      const valid = verify(
        'sha256',
        Buffer.from(`${h}.${p}`),
        { key: header.signer.publicKey, dsaEncoding: 'ieee-p1363' },
        signature,
      );
      if (!valid) return 'the signature does not verify';
      let payload: unknown;
      try {
        payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
      } catch {
        return 'the signed payload is not JSON';
      }
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        return 'the signed payload is not a JSON object';
      }
      return {
        typ: header.typ,
        x5c: header.x5c,
        payload: payload as Record<string, unknown>,
        certificate,
      };
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
  const { alg, typ, x5c } = (header ?? {}) as { alg?: unknown; typ?: unknown; x5c?: unknown };
  if (alg !== 'ES256') return 'the JWS algorithm is not ES256';
  if (!Array.isArray(x5c) || x5c.length === 0 || !x5c.every((c) => typeof c === 'string')) {
    return 'the JWS names no signer certificate (x5c)';
  }
  try {
    const der = new Uint8Array(Buffer.from(x5c[0] as string, 'base64'));
    const certificate = new X509Certificate(der);
    const signer = {
      der,
      publicKey: certificate.publicKey,
      subject: certificate.subject.replaceAll('\n', ', '),
    };
    return { typ, x5c: x5c as string[], signer };
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

/** `b64url(sha256(text))`, the digest form of the records' `requestDigest` and `responseDigest`. */
export function jwsDigest(jws: string): string {
  return createHash('sha256').update(jws).digest('base64url');
}
