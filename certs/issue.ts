import { createPublicKey } from 'node:crypto';
import { EinmalError } from '../core/errors/index.ts';
import type { CertificateAuthority } from './authority.ts';
import { normalizeSerial } from './certificate.ts';
import { isCertificateHost } from './csr.ts';
import { sanIdentities } from './identity.ts';
import {
  allowsCertificateSigning,
  type CertificateProfile,
  profileExtensions,
  readCertificateUsage,
} from './profiles.ts';
import { positiveSerial, randomSerial, validityWindow } from './validity.ts';
import { SIGNING_ALGORITHM, x509 } from './x509.ts';

const MAX_CSR_LENGTH = 64 * 1024;
const CSR_BLOCK =
  /^-----BEGIN (NEW )?CERTIFICATE REQUEST-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END (NEW )?CERTIFICATE REQUEST-----\s*$/;
const SAN_OID = '2.5.29.17';

const invalidCsr = (message: string, cause?: unknown) =>
  new EinmalError('Pki.InvalidCsr', { message, cause });

/**
 * Reads a PEM CSR and checks its self-signature and key; everything wrong is `Pki.InvalidCsr`
 * with a message saying what.
 */
export async function readCsr(csrPem: string): Promise<x509.Pkcs10CertificateRequest> {
  if (typeof csrPem !== 'string' || csrPem.length > MAX_CSR_LENGTH) throw invalidCsr('The CSR is too large');
  const block = CSR_BLOCK.exec(csrPem.trim());
  if (!block) throw invalidCsr('Not a PEM certificate request (-----BEGIN CERTIFICATE REQUEST-----)');
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(Buffer.from(block[2]!.replace(/\s+/g, ''), 'base64'));
    void csr.subject;
    void csr.extensions;
  } catch (cause) {
    throw invalidCsr('The CSR is not valid DER (PKCS #10)', cause);
  }
  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch (cause) {
    throw invalidCsr('The CSR public key is unreadable', cause);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw invalidCsr('The CSR key must be ECDSA P-256');
  }
  let signatureValid = false;
  try {
    signatureValid = await csr.verify();
  } catch (cause) {
    throw invalidCsr('The CSR signature algorithm is not supported', cause);
  }
  if (!signatureValid)
    throw invalidCsr('The CSR signature does not verify (altered or not signed by its key)');
  return csr;
}

/** The SAN entries a certificate of `profile` takes from a CSR, after checking them. */
function checkedSubjectAltNames(
  csr: x509.Pkcs10CertificateRequest,
  profile: CertificateProfile,
): x509.Extension[] {
  const requested = csr.extensions.filter((e) => e.type === SAN_OID);
  if (requested.length > 1) throw invalidCsr('The CSR requests more than one subjectAltName');
  const san = requested[0];
  let names: readonly x509.GeneralName[] = [];
  try {
    if (san) names = new x509.SubjectAlternativeNameExtension(san.rawData).names.items;
  } catch (cause) {
    throw invalidCsr('The CSR subjectAltName is malformed', cause);
  }
  const hosts = names.filter((n) => n.type === 'dns' || n.type === 'ip');
  const uris = names.filter((n) => n.type === 'url');
  const other = names.filter((n) => !hosts.includes(n) && !uris.includes(n));
  if (other.length > 0) throw invalidCsr(`The CSR subjectAltName holds unsupported ${other[0]!.type} names`);
  for (const host of hosts) {
    if (host.type === 'dns' && !isCertificateHost(host.value)) {
      throw invalidCsr(`'${host.value}' is not a valid DNS name`);
    }
  }
  const { members, subsystems } = sanIdentities(san ? [san] : []);
  if (members.length + subsystems.length !== uris.length) {
    throw invalidCsr('The CSR subjectAltName holds a URI that is not an einmal member or subsystem URN');
  }
  const refuse = (what: string) => invalidCsr(`A ${profile} certificate ${what}`);
  switch (profile) {
    case 'auth':
      if (hosts.length === 0) throw refuse('needs at least one DNS name or IP address');
      if (subsystems.length > 0 || members.length > 1) throw refuse('may name at most one member');
      break;
    case 'signing':
      if (members.length !== 1 || subsystems.length > 0) throw refuse('must name exactly one member URN');
      if (hosts.length > 0) throw refuse('takes no DNS names or IP addresses');
      break;
    case 'client':
      if (subsystems.length !== 1 || members.length > 0) throw refuse('must name exactly one subsystem URN');
      if (hosts.length > 0) throw refuse('takes no DNS names or IP addresses');
      break;
    default:
      if (names.length > 0) throw refuse('takes no subjectAltName');
  }
  return san
    ? [
        new x509.SubjectAlternativeNameExtension(
          names.map((n) => n.toJSON()),
          false,
        ),
      ]
    : [];
}

/**
 * Issues an end-entity certificate of `profile` for a CSR. The CSR's signature, key and requested
 * names are checked first (`Pki.InvalidCsr`); only its subject, key and subjectAltName are used,
 * key usages come from the profile. The serial is 16 random bytes unless given.
 *
 * @example
 * const cert = await issueCertificate({ ca: issuing, csrPem, profile: 'signing' });
 */
export async function issueCertificate(options: {
  ca: CertificateAuthority;
  csrPem: string;
  profile: CertificateProfile;
  serialNumber?: string;
  validityDays?: number;
  now?: Date;
}): Promise<x509.X509Certificate> {
  const { ca, profile } = options;
  if (!allowsCertificateSigning(readCertificateUsage(ca.certificate))) {
    throw new TypeError('The issuer certificate is not a CA certificate');
  }
  const csr = await readCsr(options.csrPem);
  if (!csr.subjectName.getField('CN')[0]) throw invalidCsr('The CSR subject needs a common name (CN)');
  const subjectAltNames = checkedSubjectAltNames(csr, profile);
  return x509.X509CertificateGenerator.create({
    serialNumber:
      options.serialNumber === undefined
        ? randomSerial()
        : positiveSerial(normalizeSerial(options.serialNumber)),
    subject: csr.subjectName,
    issuer: ca.certificate.subjectName,
    publicKey: csr.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validityWindow(options.now ?? new Date(), options.validityDays ?? 365, ca.certificate.notAfter),
    extensions: [
      ...profileExtensions(profile),
      ...subjectAltNames,
      await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey),
    ],
  });
}
