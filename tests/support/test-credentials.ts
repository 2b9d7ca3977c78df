import { createHash } from 'node:crypto';
import {
  type CertificateAuthority,
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
  issueCertificate,
  toPem,
} from '../../certs/index.ts';
import { parseSubsystemId } from '../../schemas/index.ts';

/** TLS credentials as a server or client loads them, and the certificate's fingerprint. */
export interface TestCredentials {
  /** The certificate followed by its issuing CA's, PEM. */
  readonly cert: string;
  readonly key: string;
  /** SHA-256 of the certificate's DER, lower-case hex. */
  readonly fingerprint: string;
}

/**
 * Issues TLS credentials with the project's own PKI code: an `auth` certificate for `host` (a
 * gateway's or an adapter's), or a `client` certificate naming the subsystem `name` (an
 * information system's).
 *
 * @example
 * const gateway = await issueTestCredentials(issuing, 'DEMO/GOV/munich/gw1', { host: '127.0.0.1' });
 */
export async function issueTestCredentials(
  ca: CertificateAuthority,
  name: string,
  kind: { readonly host: string } | { readonly client: true },
): Promise<TestCredentials> {
  const keys = await generateKeyPair();
  const profile = 'host' in kind ? 'auth' : 'client';
  const csrPem = await createCsr({
    keys,
    subject: `CN=${name}`,
    profile,
    ...('host' in kind ? { host: [kind.host] } : { client: parseSubsystemId(name) }),
  });
  const certificate = await issueCertificate({ ca, csrPem, profile });
  return {
    cert: toPem(certificate) + toPem(ca.certificate),
    key: await exportPrivateKeyPem(keys.privateKey),
    fingerprint: createHash('sha256').update(new Uint8Array(certificate.rawData)).digest('hex'),
  };
}
