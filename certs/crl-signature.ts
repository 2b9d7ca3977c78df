import { type X509Certificate as NodeX509, verify as verifySignature } from 'node:crypto';
import type { x509 } from './x509.ts';

interface Tlv {
  readonly contentStart: number;
  readonly end: number;
}

/** One DER tag-length-value at `offset` (definite lengths only, as DER requires). */
function readTlv(der: Uint8Array, offset: number): Tlv {
  let position = offset + 1;
  const first = der[position++];
  if (first === undefined) throw new RangeError('Truncated DER');
  let length = first;
  if (first & 0x80) {
    const bytes = first & 0x7f;
    if (bytes === 0 || bytes > 4) throw new RangeError('Unsupported DER length');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[position++] ?? Number.NaN);
  }
  const end = position + length;
  if (!Number.isFinite(end) || end > der.length) throw new RangeError('Truncated DER');
  return { contentStart: position, end };
}

const HASHES: Record<string, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

/**
 * Whether `issuer` signed the CRL, checked synchronously with node:crypto over the DER
 * `tbsCertList` (RFC 5280 §5.1: CertificateList = SEQUENCE { tbsCertList, signatureAlgorithm,
 * signatureValue BIT STRING }).
 */
export function crlSignedBy(crl: x509.X509Crl, issuer: NodeX509): boolean {
  try {
    const der = new Uint8Array(crl.rawData);
    const outer = readTlv(der, 0);
    const tbs = readTlv(der, outer.contentStart);
    const algorithm = readTlv(der, tbs.end);
    const signature = readTlv(der, algorithm.end);
    if (der[algorithm.end] !== 0x03) return false;
    // Skip the BIT STRING's unused-bits byte.
    const value = der.subarray(signature.contentStart + 1, signature.end);
    const hash = HASHES[(crl.signatureAlgorithm as { hash?: { name?: string } }).hash?.name ?? ''];
    if (!hash) return false;
    return verifySignature(hash, der.subarray(outer.contentStart, tbs.end), issuer.publicKey, value);
  } catch {
    return false;
  }
}
