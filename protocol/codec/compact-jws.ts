import { hash, KeyObject, sign, verify, type webcrypto } from 'node:crypto';

/**
 * The one codec of einmal's signed documents: compact JWS (RFC 7515 §7.1) with ES256 (RFC 7518
 * §3.4) and the signer's certificate chain in `x5c` (RFC 7515 §4.1.6), on node:crypto. Every
 * document that crosses the wire (the directory, registration requests, checkpoints and
 * cosignatures, the exchange envelopes) is signed and read with it (docs/protocol.md §3). node:crypto
 * on a cached `KeyObject` is several times faster than WebCrypto, which matters on the exchange path;
 * jose stays the library for what a library should do: eID tokens (JWT) and JWKS (gateway/eid).
 */

/** A private ES256 (P-256) key: a node:crypto `KeyObject`, or a WebCrypto key as certs/ makes them. */
export type SigningKey = KeyObject | webcrypto.CryptoKey;

/** The protected header einmal writes: algorithm, type and (except for proofs of possession) the chain. */
export interface JwsHeader {
  readonly alg: 'ES256';
  readonly typ: string;
  /** Certificate chain, base64 (not url) DER, signer first (RFC 7515 §4.1.6). */
  readonly x5c?: readonly string[];
}

/** A compact JWS taken apart, not yet verified. */
export interface SplitJws {
  /** The protected header, a JSON object. */
  readonly header: { alg?: unknown; typ?: unknown; x5c?: unknown; crit?: unknown; [name: string]: unknown };
  /** The payload bytes as signed. */
  readonly payloadBytes: Buffer;
  /** `BASE64URL(header) || '.' || BASE64URL(payload)`, the bytes that were signed. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

/** A compact JWS whose payload is a JSON object. */
export interface DecodedJws {
  readonly header: SplitJws['header'];
  readonly payload: unknown;
  readonly signingInput: string;
  readonly signature: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]*$/;
const BASE64_DER = /^[A-Za-z0-9+/]+={0,2}$/;
/** A certificate of a chain is a few hundred bytes to a few kilobytes. */
const MAX_CERTIFICATE_LENGTH = 16_384;

const keyObjects = new WeakMap<webcrypto.CryptoKey, KeyObject>();

/** The node:crypto form of a key, converted once per WebCrypto key. */
function keyObjectOf(key: SigningKey): KeyObject {
  if (key instanceof KeyObject) return key;
  let converted = keyObjects.get(key);
  if (!converted) {
    converted = KeyObject.from(key);
    keyObjects.set(key, converted);
  }
  return converted;
}

const encode = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url');

/**
 * Encoded protected headers by chain and type: a header with a chain is kilobytes, and a gateway
 * signs every exchange with the same one. Chains are never changed once made (`readonly`).
 */
const encodedHeaders = new WeakMap<readonly string[], Map<string, string>>();

function encodeHeader(header: JwsHeader): string {
  const { x5c } = header;
  if (!x5c) return encode(JSON.stringify(header));
  let byType = encodedHeaders.get(x5c);
  if (!byType) {
    byType = new Map();
    encodedHeaders.set(x5c, byType);
  }
  let encoded = byType.get(header.typ);
  if (encoded === undefined) {
    encoded = encode(JSON.stringify({ alg: header.alg, typ: header.typ, x5c }));
    byType.set(header.typ, encoded);
  }
  return encoded;
}

/**
 * Signs `payload` (bytes or text, as they are) as a compact JWS.
 * @example signCompactJwsBytes({ alg: 'ES256', typ: 'einmal-checkpoint+jws', x5c }, canonicalJson(checkpoint), key)
 */
export function signCompactJwsBytes(
  header: JwsHeader,
  payload: Uint8Array | string,
  key: SigningKey,
): string {
  const signingInput = `${encodeHeader(header)}.${encode(payload)}`;
  const signature = sign('sha256', Buffer.from(signingInput), {
    key: keyObjectOf(key),
    dsaEncoding: 'ieee-p1363',
  });
  return `${signingInput}.${signature.toString('base64url')}`;
}

/**
 * Signs `payload` as a compact JWS over its JSON text.
 * @example signCompactJws({ alg: 'ES256', typ: 'einmal-req+jws', x5c }, claims, privateKey)
 */
export function signCompactJws(header: JwsHeader, payload: unknown, key: SigningKey): string {
  return signCompactJwsBytes(header, JSON.stringify(payload), key);
}

/**
 * Takes a compact JWS apart without verifying it: three base64url parts, a JSON object as header.
 * Returns `undefined` for anything else (also for text longer than `maxLength`), so each caller maps
 * it to its own error code.
 */
export function splitCompactJws(text: unknown, maxLength = Number.POSITIVE_INFINITY): SplitJws | undefined {
  if (typeof text !== 'string' || text.length > maxLength) return undefined;
  const parts = text.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  if (h.length === 0 || !B64URL.test(h) || !B64URL.test(p) || !B64URL.test(s)) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return undefined;
  return {
    header: header as SplitJws['header'],
    payloadBytes: Buffer.from(p, 'base64url'),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

/**
 * Splits and decodes a compact JWS whose payload is a JSON object, without verifying it; `undefined`
 * for anything else.
 */
export function decodeCompactJws(token: string): DecodedJws | undefined {
  const split = splitCompactJws(token);
  if (!split || split.payloadBytes.length === 0) return undefined;
  const payload = parseJsonObject(split.payloadBytes);
  if (payload === undefined) return undefined;
  return { header: split.header, payload, signingInput: split.signingInput, signature: split.signature };
}

/** One strict UTF-8 decoder for every payload: made once, it is reused on the exchange path. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The JSON object in `bytes` (UTF-8), or `undefined` when they hold anything else. */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(UTF8.decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `x5c` chain of a header when it is one: 1 to `maxEntries` certificates, each standard base64
 * DER of bounded length. Whether the certificates parse and chain is the caller's next check.
 */
export function readX5c(value: unknown, maxEntries: number): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > maxEntries) return undefined;
  for (const entry of value) {
    if (typeof entry !== 'string' || entry.length > MAX_CERTIFICATE_LENGTH || !BASE64_DER.test(entry)) {
      return undefined;
    }
  }
  return value as string[];
}

/** Whether an ES256 signature (64 bytes, r‖s) over `signingInput` verifies with `publicKey`. */
export function verifyEs256(signingInput: string, signature: Uint8Array, publicKey: SigningKey): boolean {
  if (signature.length !== 64) return false;
  try {
    return verify(
      'sha256',
      Buffer.from(signingInput),
      { key: keyObjectOf(publicKey), dsaEncoding: 'ieee-p1363' },
      signature,
    );
  } catch {
    return false;
  }
}

/**
 * Whether the signature of a taken-apart JWS verifies with `publicKey`: `alg` must be ES256 and no
 * critical extension may be asked for (RFC 7515 §4.1.11; einmal understands none).
 */
export function verifyJwsSignature(
  jws: Pick<SplitJws, 'header' | 'signingInput' | 'signature'>,
  publicKey: SigningKey,
): boolean {
  if (jws.header.alg !== 'ES256' || jws.header.crit !== undefined) return false;
  return verifyEs256(jws.signingInput, jws.signature, publicKey);
}

/** `b64url(sha256(bytes))`, the digest form used in signed claims (docs/protocol.md §1). */
export function sha256Base64Url(bytes: Uint8Array | string): string {
  // One-shot `hash` costs about two thirds of a `createHash` object for a request's few kilobytes.
  return hash('sha256', bytes, 'base64url');
}
