import { X509Certificate as NodeX509 } from 'node:crypto';
import { EinmalError } from '../core/errors/index.ts';
import type { ClientId, MemberId } from '../schemas/index.ts';
import {
  certificateDer,
  certificateFingerprint,
  normalizeSerial,
  parseCertificateBundle,
  parseCertificateDer,
} from './certificate.ts';
import { parseCrl } from './crl.ts';
import { crlSignedBy } from './crl-signature.ts';
import { clientOfCertificate, memberOfCertificate } from './identity.ts';
import {
  allowsCertificateSigning,
  allowsProfile,
  type CertificateProfile,
  type CertificateUsage,
  readCertificateUsage,
} from './profiles.ts';
import type { x509 } from './x509.ts';

/** A certificate in any form einmal meets it: @peculiar/x509, node:crypto, DER bytes or PEM. */
export type CertificateInput = x509.X509Certificate | NodeX509 | Uint8Array | string;

/** A revoked certificate as the directory lists it. */
export interface RevokedSerial {
  /**
   * The issuing CA: its distinguished name as `certificate.issuer` prints it, or the SHA-256
   * fingerprint (lowercase hex) of the CA certificate.
   */
  readonly issuer: string;
  /** Serial number, hex. */
  readonly serialNumber: string;
}

/** What the trust store is made of. */
export interface TrustSettings {
  /** Trust anchors (the federation root). */
  readonly anchors: readonly CertificateInput[];
  /** Approved issuing CAs. */
  readonly intermediates?: readonly CertificateInput[];
  /** CRLs (PEM or parsed), each checked against its CA; one that does not verify is `Pki.InvalidCrl`. */
  readonly crls?: readonly (string | x509.X509Crl)[];
  readonly revokedSerials?: readonly RevokedSerial[];
}

/** A certificate that passed verification. */
export interface VerifiedCertificate {
  readonly fingerprint: string;
  readonly serialNumber: string;
  /** The member named in the certificate's SAN, when it names one. */
  readonly member?: MemberId;
  /** The subsystem named by a client certificate. */
  readonly client?: ClientId;
  /** Leaf first, trust anchor last. */
  readonly chain: readonly x509.X509Certificate[];
}

/** A synchronous, caching certificate check for hot paths. */
export interface ChainVerifier {
  /**
   * Checks that the certificate chains to an anchor, is valid at `at` (default now), is not
   * revoked and was issued for `usage` (not checked when omitted). Refuses with `Pki.UntrustedChain`, `Pki.Revoked`,
   * `Pki.Expired`, `Pki.WrongUsage` (or `Pki.InvalidCertificate` for garbage).
   */
  verify(
    certificate: x509.X509Certificate | NodeX509 | Uint8Array,
    check: { usage?: CertificateProfile; at?: Date },
  ): VerifiedCertificate;
}

interface KnownCertificate {
  readonly node: NodeX509;
  readonly parsed: x509.X509Certificate;
  readonly fingerprint: string;
  readonly usage: CertificateUsage;
}

type Analysis =
  | { readonly error: EinmalError }
  | {
      readonly error?: undefined;
      readonly chain: readonly KnownCertificate[];
      /** The leaf's serial number as `normalizeSerial` spells it. */
      readonly serialNumber: string;
      readonly revoked: boolean;
      readonly notBefore: number;
      readonly notAfter: number;
      readonly member?: MemberId;
      readonly client?: ClientId;
    };

const MAX_CACHED = 10_000;
const MAX_DEPTH = 6;

function toKnown(input: CertificateInput): KnownCertificate[] {
  const parsed =
    typeof input === 'string' ? parseCertificateBundle(input) : [parseCertificateDer(certificateDer(input))];
  return parsed.map((certificate) => {
    const der = new Uint8Array(certificate.rawData);
    return {
      node: new NodeX509(der),
      parsed: certificate,
      fingerprint: certificateFingerprint(der),
      usage: readCertificateUsage(certificate),
    };
  });
}

const revocationKey = (issuer: string, serial: string) => `${issuer}\n${normalizeSerial(serial)}`;

/**
 * Builds a verifier over a fixed trust store. CRL signatures are checked once here; results are
 * cached per certificate fingerprint, so a repeated peer or signer costs one hash and a map lookup.
 * Build a new verifier when the directory (anchors, CAs, revocations) changes.
 *
 * @example
 * const verifier = createChainVerifier({ anchors: [root], intermediates: [issuing], crls: [crlPem] });
 * const { member } = verifier.verify(socket.getPeerX509Certificate(), { usage: 'auth' });
 */
export function createChainVerifier(settings: TrustSettings): ChainVerifier {
  const anchors = settings.anchors.flatMap(toKnown);
  const authorities = [...anchors, ...(settings.intermediates ?? []).flatMap(toKnown)].filter((c) =>
    allowsCertificateSigning(c.usage),
  );
  const anchorFingerprints = new Set(anchors.map((a) => a.fingerprint));
  const byFingerprint = new Map(authorities.map((a) => [a.fingerprint, a]));

  const revoked = new Set<string>();
  for (const entry of settings.revokedSerials ?? []) {
    const issuer = byFingerprint.get(entry.issuer.toLowerCase())?.parsed.subject ?? entry.issuer;
    revoked.add(revocationKey(issuer, entry.serialNumber));
  }
  for (const input of settings.crls ?? []) {
    const crl = typeof input === 'string' ? parseCrl(input) : input;
    const issuer = authorities.find((a) => a.parsed.subject === crl.issuer && crlSignedBy(crl, a.node));
    if (!issuer) {
      throw new EinmalError('Pki.InvalidCrl', {
        message: `The CRL of '${crl.issuer}' is not signed by a known CA`,
      });
    }
    for (const entry of crl.entries) revoked.add(revocationKey(crl.issuer, entry.serialNumber));
  }

  function analyse(der: Uint8Array, fingerprint: string): Analysis {
    let leaf: KnownCertificate;
    try {
      const parsed = parseCertificateDer(der);
      leaf = { node: new NodeX509(der), parsed, fingerprint, usage: readCertificateUsage(parsed) };
    } catch (error) {
      return { error: error instanceof EinmalError ? error : new EinmalError('Pki.InvalidCertificate') };
    }
    const chain = [leaf];
    let current = leaf;
    while (!anchorFingerprints.has(current.fingerprint)) {
      const issuer = authorities.find(
        (a) =>
          !chain.includes(a) && current.node.checkIssued(a.node) && current.node.verify(a.node.publicKey),
      );
      if (!issuer || chain.length >= MAX_DEPTH) {
        return {
          error: new EinmalError('Pki.UntrustedChain', {
            detail: { subject: current.parsed.subject, issuer: current.parsed.issuer },
          }),
        };
      }
      chain.push(issuer);
      current = issuer;
    }
    let member: MemberId | undefined;
    let client: ClientId | undefined;
    try {
      member = memberOfCertificate(leaf.parsed);
    } catch {}
    try {
      client = clientOfCertificate(leaf.parsed);
    } catch {}
    return {
      chain,
      serialNumber: normalizeSerial(leaf.parsed.serialNumber),
      revoked: chain.some((c) => revoked.has(revocationKey(c.parsed.issuer, c.parsed.serialNumber))),
      notBefore: Math.max(...chain.map((c) => c.parsed.notBefore.getTime())),
      notAfter: Math.min(...chain.map((c) => c.parsed.notAfter.getTime())),
      ...(member ? { member } : {}),
      ...(client ? { client } : {}),
    };
  }

  const cache = new Map<string, Analysis>();

  return {
    verify(certificate, check) {
      const der = certificateDer(certificate);
      const fingerprint = certificateFingerprint(der);
      let analysis = cache.get(fingerprint);
      if (!analysis) {
        analysis = analyse(der, fingerprint);
        if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
        cache.set(fingerprint, analysis);
      }
      if (analysis.error) throw analysis.error;
      const leaf = analysis.chain[0]!;
      if (analysis.revoked)
        throw new EinmalError('Pki.Revoked', { detail: { serial: leaf.parsed.serialNumber } });
      const at = (check.at ?? new Date()).getTime();
      if (at < analysis.notBefore || at > analysis.notAfter) {
        throw new EinmalError('Pki.Expired', { detail: { subject: leaf.parsed.subject } });
      }
      if (check.usage && !allowsProfile(leaf.usage, check.usage)) {
        throw new EinmalError('Pki.WrongUsage', {
          message: `The certificate is not valid for ${check.usage}`,
          detail: { subject: leaf.parsed.subject },
        });
      }
      return {
        fingerprint,
        serialNumber: analysis.serialNumber,
        ...(analysis.member ? { member: analysis.member } : {}),
        ...(analysis.client ? { client: analysis.client } : {}),
        chain: analysis.chain.map((c) => c.parsed),
      };
    },
  };
}

/**
 * Validates a certificate chain for control paths (registration, directory, CLI): the chain to an
 * anchor, validity at `at`, revocation (CRLs and revoked serials) and `usage` when given.
 * Returns the chain, leaf first, anchor last.
 *
 * @example
 * const chain = await validateChain({ certificate, intermediates: [issuing], anchors: [root], usage: 'signing' });
 */
export async function validateChain(
  options: TrustSettings & {
    certificate: CertificateInput;
    at?: Date;
    usage?: CertificateProfile;
  },
): Promise<x509.X509Certificate[]> {
  const verifier = createChainVerifier(options);
  const [leaf] = toKnown(options.certificate);
  const check = {
    ...(options.usage ? { usage: options.usage } : {}),
    ...(options.at ? { at: options.at } : {}),
  };
  return [...verifier.verify(leaf!.parsed, check).chain];
}
