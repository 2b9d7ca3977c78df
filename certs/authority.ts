import { EinmalError } from '../core/errors/index.ts';
import { type CryptoKey, generateKeyPair } from './keys.ts';
import { randomSerial, validityWindow } from './validity.ts';
import { SIGNING_ALGORITHM, x509 } from './x509.ts';

/** A CA: its certificate and the private key it signs certificates and CRLs with. */
export interface CertificateAuthority {
  readonly certificate: x509.X509Certificate;
  readonly privateKey: CryptoKey;
}

const CA_KEY_USAGE = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;

/**
 * A self-signed root CA (the federation's configuration anchor), ECDSA P-256.
 *
 * @param name the CA's distinguished name, e.g. `CN=DEMO Root CA, O=DEMO`
 * @example
 * const root = await createRootCa({ name: 'CN=DEMO Root CA, O=DEMO' });
 */
export async function createRootCa(options: {
  name: string;
  validityDays?: number;
  now?: Date;
}): Promise<CertificateAuthority> {
  const keys = await generateKeyPair();
  const name = parseName(options.name);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validityWindow(options.now ?? new Date(), options.validityDays ?? 3650),
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, privateKey: keys.privateKey };
}

/**
 * An issuing CA certified by `root`; it issues the federation's end-entity certificates and CRLs.
 *
 * @example
 * const issuing = await createIssuingCa({ root, name: 'CN=DEMO Issuing CA, O=DEMO' });
 */
export async function createIssuingCa(options: {
  root: CertificateAuthority;
  name: string;
  validityDays?: number;
  now?: Date;
}): Promise<CertificateAuthority> {
  const keys = await generateKeyPair();
  const { root } = options;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: parseName(options.name),
    issuer: root.certificate.subjectName,
    publicKey: keys.publicKey,
    signingKey: root.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validityWindow(options.now ?? new Date(), options.validityDays ?? 1825, root.certificate.notAfter),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(root.certificate.publicKey),
    ],
  });
  return { certificate, privateKey: keys.privateKey };
}

/** A distinguished name from its RFC 4514 string; a malformed one is a usage error. */
export function parseName(dn: string): x509.Name {
  let name: x509.Name;
  try {
    name = new x509.Name(dn);
  } catch (cause) {
    throw new EinmalError('Cli.Usage', { message: `Malformed distinguished name '${dn}'`, cause });
  }
  if (name.toJSON().length === 0) {
    throw new EinmalError('Cli.Usage', {
      message: `Malformed distinguished name '${dn}' (expected e.g. CN=name, O=org)`,
    });
  }
  return name;
}
