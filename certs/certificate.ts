import { hash, X509Certificate as NodeX509 } from 'node:crypto';
import { EinmalError } from '../core/errors/index.ts';
import { x509 } from './x509.ts';

/** Upper bound for one PEM input; real certificates are a few kilobytes. */
const MAX_PEM_LENGTH = 1_000_000;
const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END CERTIFICATE-----/g;

/**
 * Reads exactly one PEM certificate; anything else is `Pki.InvalidCertificate`.
 *
 * @example
 * const cert = parseCertificatePem(await readFile('root-ca.pem', 'utf8'));
 */
export function parseCertificatePem(pem: string): x509.X509Certificate {
  const certificates = parseCertificateBundle(pem);
  if (certificates.length !== 1) {
    throw new EinmalError('Pki.InvalidCertificate', {
      message: `Expected one PEM certificate, found ${certificates.length}`,
    });
  }
  return certificates[0]!;
}

/** Reads every PEM certificate of a bundle (at least one), in order. */
export function parseCertificateBundle(pem: string): x509.X509Certificate[] {
  if (typeof pem !== 'string' || pem.length > MAX_PEM_LENGTH) {
    throw new EinmalError('Pki.InvalidCertificate', { message: 'Certificate input is too large' });
  }
  const certificates: x509.X509Certificate[] = [];
  for (const match of pem.matchAll(CERTIFICATE_BLOCK)) {
    certificates.push(parseCertificateDer(Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64')));
  }
  if (certificates.length === 0) {
    throw new EinmalError('Pki.InvalidCertificate', { message: 'No PEM certificate found' });
  }
  return certificates;
}

/** Reads one DER certificate; a garbled one is `Pki.InvalidCertificate`. */
export function parseCertificateDer(der: Uint8Array): x509.X509Certificate {
  try {
    const certificate = new x509.X509Certificate(new Uint8Array(der));
    // Touch the fields the rest of einmal relies on, so a structurally odd certificate fails here.
    void certificate.subject;
    void certificate.notAfter;
    void certificate.extensions;
    return certificate;
  } catch (cause) {
    throw new EinmalError('Pki.InvalidCertificate', { message: 'Malformed DER certificate', cause });
  }
}

/** The certificate as PEM (`-----BEGIN CERTIFICATE-----`), ending with a newline. */
export function toPem(cert: x509.X509Certificate): string {
  return `${cert.toString('pem').trim()}\n`;
}

/** The certificate's DER bytes, whatever form it comes in. */
export function certificateDer(cert: x509.X509Certificate | NodeX509 | Uint8Array): Uint8Array {
  if (cert instanceof x509.X509Certificate) return new Uint8Array(cert.rawData);
  if (cert instanceof NodeX509) return cert.raw;
  return cert;
}

/**
 * SHA-256 of the certificate's DER, lowercase hex: the fingerprint the directory lists for gateways.
 */
export function certificateFingerprint(cert: x509.X509Certificate | NodeX509 | Uint8Array): string {
  return hash('sha256', certificateDer(cert), 'hex');
}

/** The serial number as lowercase hex without leading zero bytes, the form einmal compares. */
export function serialHex(cert: x509.X509Certificate | NodeX509): string {
  return normalizeSerial(cert.serialNumber);
}

/** Lowercase hex, no `0x`, no colons, no leading zeros: one spelling per serial number. */
export function normalizeSerial(serial: string): string {
  const hex = serial.trim().toLowerCase().replace(/^0x/, '').replace(/:/g, '').replace(/^0+/, '');
  if (!/^[0-9a-f]*$/.test(hex) || hex.length > 64) {
    throw new EinmalError('Cli.Usage', { message: 'A serial number must be hexadecimal' });
  }
  return hex === '' ? '0' : hex;
}
