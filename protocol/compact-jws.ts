import { createHash, type KeyObject, sign, verify } from 'node:crypto';

/**
 * Compact JWS (RFC 7515 §7.1) with ES256 on node:crypto, for the exchange hot path: every request
 * and response is signed and verified once per hop, and node:crypto on a cached `KeyObject` is several
 * times faster than WebCrypto (DESIGN.md §14). jose stays the library for eID tokens and JWKS.
 */

export interface JwsHeader {
  readonly alg: 'ES256';
  readonly typ: string;
  /** Certificate chain, base64 (not url) DER, signer first (RFC 7515 §4.1.6). */
  readonly x5c: readonly string[];
}

export interface DecodedJws {
  readonly header: { alg?: unknown; typ?: unknown; x5c?: unknown; [name: string]: unknown };
  readonly payload: unknown;
  /** `BASE64URL(header) || '.' || BASE64URL(payload)`, the bytes that were signed. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

const encodeJson = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs `payload` as a compact JWS with an EC P-256 private key. */
export function signCompactJws(header: JwsHeader, payload: unknown, privateKey: KeyObject): string {
  const signingInput = `${encodeJson(header)}.${encodeJson(payload)}`;
  const signature = sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Splits and decodes a compact JWS without verifying it. Returns `undefined` for anything that is not
 * three base64url parts with JSON objects in the first two, so callers map it to their own error code.
 */
export function decodeCompactJws(token: string): DecodedJws | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  if (!B64URL.test(h) || !B64URL.test(p) || !B64URL.test(s) || h.length === 0 || p.length === 0)
    return undefined;
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    if (typeof header !== 'object' || header === null || Array.isArray(header)) return undefined;
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
    return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
  } catch {
    return undefined;
  }
}

/** Whether the ES256 signature of a decoded JWS verifies with `publicKey`. */
export function verifyJwsSignature(jws: DecodedJws, publicKey: KeyObject): boolean {
  if (jws.header.alg !== 'ES256' || jws.signature.length !== 64) return false;
  try {
    return verify(
      'sha256',
      Buffer.from(jws.signingInput),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      jws.signature,
    );
  } catch {
    return false;
  }
}

/** `b64url(sha256(bytes))`, the digest form used in signed claims (DESIGN.md §5). */
export function sha256Base64Url(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('base64url');
}
