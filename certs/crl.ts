import { EinmalError } from '../core/errors/index.ts';
import type { CertificateAuthority } from './authority.ts';
import { normalizeSerial } from './certificate.ts';
import { positiveSerial } from './validity.ts';
import { SIGNING_ALGORITHM, x509 } from './x509.ts';

/** RFC 5280 §5.3.1 reason codes, by name. */
export type RevocationReason = Exclude<keyof typeof x509.X509CrlReason, number>;

/** One revoked certificate of a CRL. */
export interface RevokedCertificate {
  /** Serial number, hex. */
  readonly serialNumber: string;
  readonly revokedAt: Date;
  readonly reason?: RevocationReason;
}

const DAY_MS = 86_400_000;
const MAX_CRL_LENGTH = 10_000_000;
const CRL_BLOCK = /^-----BEGIN X509 CRL-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END X509 CRL-----\s*$/;
const CRL_NUMBER_OID = '2.5.29.20';

/**
 * A CRL signed by `ca`, as PEM with the `X509 CRL` label that OpenSSL and Node expect.
 * `nextUpdate` defaults to seven days after `thisUpdate`; the CRL number is `thisUpdate` in
 * milliseconds, so a later CRL always has a larger number (RFC 5280 §5.2.3).
 *
 * @example
 * const pem = await createCrl({ ca: issuing, revoked: [{ serialNumber: serialHex(cert), revokedAt: new Date() }] });
 */
export async function createCrl(options: {
  ca: CertificateAuthority;
  revoked: readonly RevokedCertificate[];
  thisUpdate?: Date;
  nextUpdate?: Date;
}): Promise<string> {
  const thisUpdate = options.thisUpdate ?? new Date();
  const nextUpdate = options.nextUpdate ?? new Date(thisUpdate.getTime() + 7 * DAY_MS);
  const crl = await x509.X509CrlGenerator.create({
    issuer: options.ca.certificate.subjectName,
    thisUpdate,
    nextUpdate,
    signingKey: options.ca.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      await x509.AuthorityKeyIdentifierExtension.create(options.ca.certificate.publicKey),
      new x509.Extension(CRL_NUMBER_OID, false, derInteger(BigInt(thisUpdate.getTime()))),
    ],
    entries: options.revoked.map((entry) => ({
      serialNumber: positiveSerial(normalizeSerial(entry.serialNumber)),
      revocationDate: entry.revokedAt,
      ...(entry.reason ? { reason: x509.X509CrlReason[entry.reason] } : {}),
    })),
  });
  return x509.PemConverter.encode(crl.rawData, 'X509 CRL');
}

/** Reads one PEM CRL (`-----BEGIN X509 CRL-----`); anything else is `Pki.InvalidCrl`. */
export function parseCrl(pem: string): x509.X509Crl {
  if (typeof pem !== 'string' || pem.length > MAX_CRL_LENGTH) {
    throw new EinmalError('Pki.InvalidCrl', { message: 'The CRL is too large' });
  }
  const block = CRL_BLOCK.exec(pem.trim());
  if (!block)
    throw new EinmalError('Pki.InvalidCrl', { message: 'Not a PEM CRL (-----BEGIN X509 CRL-----)' });
  try {
    const crl = new x509.X509Crl(Buffer.from(block[1]!.replace(/\s+/g, ''), 'base64'));
    void crl.issuer;
    void crl.thisUpdate;
    void crl.entries;
    return crl;
  } catch (cause) {
    throw new EinmalError('Pki.InvalidCrl', { message: 'The CRL is not valid DER', cause });
  }
}

/** DER INTEGER of a non-negative number. */
function derInteger(value: bigint): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  const body = Buffer.from(hex, 'hex');
  return Uint8Array.from([0x02, body.length, ...body]);
}
