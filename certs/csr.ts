import { isIP } from 'node:net';
import { EinmalError } from '../core/errors/index.ts';
import { type MemberId, memberUrn, type SubsystemId } from '../schemas/index.ts';
import { parseName } from './authority.ts';
import { subsystemUrn } from './identity.ts';
import type { CryptoKeyPair } from './keys.ts';
import type { CertificateProfile } from './profiles.ts';
import { SIGNING_ALGORITHM, x509 } from './x509.ts';

/** RFC 1123 host name: labels of letters, digits and hyphens, at most 253 characters in all. */
const HOST_NAME =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Whether `host` is a DNS name or an IP address that may appear in an authentication certificate. */
export function isCertificateHost(host: string): boolean {
  return isIP(host) !== 0 || HOST_NAME.test(host);
}

/**
 * A PKCS #10 certificate signing request, signed with `keys.privateKey` (ECDSA SHA-256), as PEM.
 * The SAN it requests follows the profile: DNS names and IP addresses (`host`) for `auth`, the
 * member URN (`member`) for `signing`, the subsystem URN (`client`) for `client`.
 *
 * @example
 * const csrPem = await createCsr({
 *   keys, subject: 'CN=DEMO/GOV/munich/gw1, O=DEMO/GOV/munich', profile: 'auth', host: ['localhost'],
 * });
 */
export async function createCsr(options: {
  keys: CryptoKeyPair;
  subject: string;
  profile: CertificateProfile;
  host?: readonly string[];
  member?: MemberId;
  client?: SubsystemId;
}): Promise<string> {
  const names: x509.JsonGeneralName[] = [];
  for (const host of options.host ?? []) {
    if (!isCertificateHost(host)) {
      throw new EinmalError('Pki.InvalidCsr', {
        message: `'${host}' is neither a host name nor an IP address`,
      });
    }
    names.push({ type: isIP(host) ? 'ip' : 'dns', value: host });
  }
  if (options.member) names.push({ type: 'url', value: memberUrn(options.member) });
  if (options.client) names.push({ type: 'url', value: subsystemUrn(options.client) });
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: parseName(options.subject),
    keys: options.keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : [],
  });
  return `${csr.toString('pem').trim()}\n`;
}
