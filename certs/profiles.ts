import { X509Certificate as NodeX509 } from 'node:crypto';
import { x509 } from './x509.ts';

/**
 * What an end-entity certificate is for (DESIGN.md §3):
 * - `auth`: a gateway's or the registry's TLS certificate (server and client authentication);
 * - `signing`: a member's message-signing certificate, naming the member;
 * - `directory`: the registry's directory-signing certificate;
 * - `operator`: a federation operator's TLS client certificate for the registry admin API;
 * - `client`: an agency information system's TLS client certificate, naming its subsystem;
 * - `auditor`: an auditor's TLS client certificate;
 * - `witness`: the registry's witness key, which cosigns gateways' log checkpoints. It has its own
 *   extended key usage so that no member signing, directory or TLS certificate can pass as the
 *   witness when a verifier checks a cosignature offline.
 */
export type CertificateProfile =
  | 'auth'
  | 'signing'
  | 'directory'
  | 'operator'
  | 'client'
  | 'auditor'
  | 'witness';

/** Every profile, e.g. for CLI validation. */
export const CERTIFICATE_PROFILES: readonly CertificateProfile[] = [
  'auth',
  'signing',
  'directory',
  'operator',
  'client',
  'auditor',
  'witness',
];

/**
 * einmal's object identifier arc: a UUID-derived OID (ITU-T X.667, `2.25.<uuid>`), which needs
 * no registration. Sub-arc 1 holds one extended key usage per einmal profile, so a certificate
 * issued for one role can never pass as another (an auditor certificate is not an operator's).
 */
export const EINMAL_OID = '2.25.177640205337994987915329314526159705707';

const PROFILE_KEY_PURPOSE: Record<CertificateProfile, string> = {
  auth: `${EINMAL_OID}.1.1`,
  signing: `${EINMAL_OID}.1.2`,
  directory: `${EINMAL_OID}.1.3`,
  operator: `${EINMAL_OID}.1.4`,
  client: `${EINMAL_OID}.1.5`,
  auditor: `${EINMAL_OID}.1.6`,
  witness: `${EINMAL_OID}.1.7`,
};

const { serverAuth, clientAuth } = x509.ExtendedKeyUsage;
const { digitalSignature, nonRepudiation } = x509.KeyUsageFlags;

interface ProfileRules {
  readonly keyUsage: number;
  /** Standard extended key usages, next to the einmal one. */
  readonly extendedKeyUsage: readonly string[];
}

const PROFILE_RULES: Record<CertificateProfile, ProfileRules> = {
  auth: { keyUsage: digitalSignature, extendedKeyUsage: [serverAuth, clientAuth] },
  signing: { keyUsage: digitalSignature | nonRepudiation, extendedKeyUsage: [] },
  directory: { keyUsage: digitalSignature | nonRepudiation, extendedKeyUsage: [] },
  operator: { keyUsage: digitalSignature, extendedKeyUsage: [clientAuth] },
  client: { keyUsage: digitalSignature, extendedKeyUsage: [clientAuth] },
  auditor: { keyUsage: digitalSignature, extendedKeyUsage: [clientAuth] },
  witness: { keyUsage: digitalSignature | nonRepudiation, extendedKeyUsage: [] },
};

/** The key usage and extended key usage extensions a certificate of `profile` carries. */
export function profileExtensions(profile: CertificateProfile): x509.Extension[] {
  const rules = PROFILE_RULES[profile];
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(rules.keyUsage, true),
    new x509.ExtendedKeyUsageExtension([...rules.extendedKeyUsage, PROFILE_KEY_PURPOSE[profile]], false),
  ];
}

/** The usage facts of a certificate, read once so a cached check is a lookup. */
export interface CertificateUsage {
  readonly isCa: boolean;
  readonly keyUsage: number | undefined;
  readonly extendedKeyUsage: readonly string[] | undefined;
}

/** Reads basic constraints, key usage and extended key usage from a certificate. */
export function readCertificateUsage(cert: x509.X509Certificate): CertificateUsage {
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  const keyUsage = cert.getExtension(x509.KeyUsagesExtension);
  // Extended key usages come from OpenSSL: the ASN.1 decoder of @peculiar/x509 misprints OIDs with
  // arcs beyond 2^53, such as the UUID arc of EINMAL_OID.
  const extended = new NodeX509(new Uint8Array(cert.rawData)).keyUsage;
  return {
    isCa: basic?.ca === true,
    keyUsage: keyUsage?.usages,
    extendedKeyUsage: extended,
  };
}

/** Whether a certificate with these usage facts was issued for `profile`. */
export function allowsProfile(usage: CertificateUsage, profile: CertificateProfile): boolean {
  const rules = PROFILE_RULES[profile];
  if (usage.isCa || usage.keyUsage === undefined || usage.extendedKeyUsage === undefined) return false;
  if ((usage.keyUsage & rules.keyUsage) !== rules.keyUsage) return false;
  const purposes = new Set(usage.extendedKeyUsage);
  return (
    purposes.has(PROFILE_KEY_PURPOSE[profile]) && rules.extendedKeyUsage.every((oid) => purposes.has(oid))
  );
}

/** Whether a certificate may sign certificates and CRLs. */
export function allowsCertificateSigning(usage: CertificateUsage): boolean {
  const needed = x509.KeyUsageFlags.keyCertSign;
  return usage.isCa && (usage.keyUsage === undefined || (usage.keyUsage & needed) === needed);
}
