import { randomBytes } from 'node:crypto';

const DAY_MS = 86_400_000;
/** Certificates start a little in the past so a peer whose clock lags slightly still accepts them. */
const BACKDATE_MS = 5 * 60_000;

/** notBefore/notAfter for a certificate issued at `now`, never outliving its issuer. */
export function validityWindow(
  now: Date,
  validityDays: number,
  issuerNotAfter?: Date,
): { notBefore: Date; notAfter: Date } {
  if (!Number.isFinite(validityDays) || validityDays <= 0) {
    throw new TypeError('validityDays must be a positive number');
  }
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const wanted = new Date(now.getTime() + validityDays * DAY_MS);
  const notAfter = issuerNotAfter && issuerNotAfter < wanted ? issuerNotAfter : wanted;
  return { notBefore, notAfter };
}

/** A random, positive 16-byte serial number as lowercase hex (RFC 5280 §4.1.2.2). */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  // Clear the sign bit and set the next one: positive, and always exactly 16 bytes in DER.
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString('hex');
}

/**
 * A serial number (hex) in the form the certificate generator encodes as a positive DER INTEGER:
 * an even number of digits, with a zero byte in front when the top bit is set.
 */
export function positiveSerial(hex: string): string {
  const even = hex.length % 2 === 1 ? `0${hex}` : hex;
  return Number.parseInt(even.slice(0, 2), 16) >= 0x80 ? `00${even}` : even;
}
