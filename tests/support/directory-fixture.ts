import {
  type CertificateAuthority,
  type CertificateProfile,
  type CryptoKeyPair,
  createCsr,
  createIssuingCa,
  createRootCa,
  generateKeyPair,
  issueCertificate,
  type x509,
} from '../../certs/index.ts';
import { DEMO_INSTANCE, demoMembers } from '../../dev/demo-federation.ts';
import type { Directory } from '../../schemas/index.ts';

/** An end-entity certificate with its key pair, issued for tests. */
export interface IssuedCredential {
  readonly keys: CryptoKeyPair;
  readonly certificate: x509.X509Certificate;
}

/** A throwaway federation PKI: root (the configuration anchor) and issuing CA, made at test start. */
export interface TestPki {
  readonly root: CertificateAuthority;
  readonly issuing: CertificateAuthority;
  issue(options: {
    profile: CertificateProfile;
    subject: string;
    host?: string[];
    member?: string;
    ca?: CertificateAuthority;
    now?: Date;
    validityDays?: number;
  }): Promise<IssuedCredential>;
}

/**
 * A root and issuing CA generated with the project's own certs/ code.
 *
 * @example
 * const pki = await createTestPki();
 * const signer = await pki.issue({ profile: 'directory', subject: 'CN=DEMO directory' });
 */
export async function createTestPki(name = DEMO_INSTANCE): Promise<TestPki> {
  const root = await createRootCa({ name: `CN=${name} Root CA, O=${name}` });
  const issuing = await createIssuingCa({ root, name: `CN=${name} Issuing CA, O=${name}` });
  return {
    root,
    issuing,
    async issue(options) {
      const keys = await generateKeyPair();
      const [instance = '', memberClass = '', memberCode = ''] = options.member?.split('/') ?? [];
      const csrPem = await createCsr({
        keys,
        subject: options.subject,
        profile: options.profile,
        ...(options.host ? { host: options.host } : {}),
        ...(options.member ? { member: { instance, memberClass, memberCode } } : {}),
      });
      const certificate = await issueCertificate({
        ca: options.ca ?? issuing,
        csrPem,
        profile: options.profile,
        ...(options.now ? { now: options.now } : {}),
        ...(options.validityDays ? { validityDays: options.validityDays } : {}),
      });
      return { keys, certificate };
    },
  };
}

/**
 * A valid directory of the demo federation's members, issued at `issuedAt` and valid for `ttlMs`.
 *
 * @example
 * const directory = demoDirectory({ version: 3, issuedAt: new Date() });
 */
export function demoDirectory(options: { version: number; issuedAt: Date; ttlMs?: number }): Directory {
  const ttlMs = options.ttlMs ?? 600_000;
  return {
    instance: DEMO_INSTANCE,
    version: options.version,
    issuedAt: options.issuedAt.toISOString(),
    expiresAt: new Date(options.issuedAt.getTime() + ttlMs).toISOString(),
    approvedCas: [],
    revokedCertificates: [],
    members: demoMembers.map((member) => ({
      id: member.id,
      name: member.name,
      subsystems: [...member.subsystems],
    })),
    gateways: [],
    services: [],
    groups: [],
    eidIssuers: [],
    witness: null,
  };
}
