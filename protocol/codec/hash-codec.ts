import { z } from 'zod';
import { EinmalError, type ErrorCode } from '../../core/errors/index.ts';

/** Size in bytes of every hash in the log (SHA-256). */
export const HASH_SIZE = 32;

/**
 * A SHA-256 hash in canonical standard base64 (RFC 4648 §4, padded): 43 characters, the last of
 * which carries only 2 bits, then `=`. Refusing non-canonical spellings keeps one text per hash.
 */
export const base64HashSchema = z
  .string()
  .regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, 'not a base64 SHA-256');

/** A SHA-256 hash as 64 hex digits (either case accepted on input, lower case written). */
export const hexHashSchema = z.string().regex(/^[0-9a-fA-F]{64}$/, 'not a hex SHA-256');

/**
 * @example
 * hashToBase64(leafHash(bytes)); // 'bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0='
 */
export function hashToBase64(hash: Uint8Array): string {
  assertHash(hash);
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('base64');
}

/**
 * Decodes a base64 hash from untrusted input; refuses anything but 32 canonically encoded bytes
 * with `code` (default `Audit.InvalidProof`).
 *
 * @example
 * const root = hashFromBase64(checkpoint.root, 'Audit.InvalidCheckpoint');
 */
export function hashFromBase64(text: unknown, code: ErrorCode = 'Audit.InvalidProof'): Uint8Array {
  const parsed = base64HashSchema.safeParse(text);
  if (!parsed.success) throw new EinmalError(code, { detail: 'malformed base64 hash' });
  return toPlainBytes(Buffer.from(parsed.data, 'base64'));
}

/** @example hashToHex(rootHash([])); // 'e3b0c442...b855' */
export function hashToHex(hash: Uint8Array): string {
  assertHash(hash);
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex');
}

/** Decodes a hex hash from untrusted input; refuses anything but 64 hex digits with `code`. */
export function hashFromHex(text: unknown, code: ErrorCode = 'Audit.InvalidProof'): Uint8Array {
  const parsed = hexHashSchema.safeParse(text);
  if (!parsed.success) throw new EinmalError(code, { detail: 'malformed hex hash' });
  return toPlainBytes(Buffer.from(parsed.data, 'hex'));
}

/** Whether two hashes hold the same bytes. */
export function equalHashes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether `value` is a 32-byte hash. */
export function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.byteLength === HASH_SIZE;
}

/**
 * Views a `Buffer` (what `pg` and `node:crypto` return) as a plain `Uint8Array` over the same
 * memory, so every hash the audit API hands out has one type.
 */
export function toPlainBytes(bytes: Uint8Array): Uint8Array {
  if (Object.getPrototypeOf(bytes) === Uint8Array.prototype) return bytes;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function assertHash(hash: Uint8Array): void {
  if (!isHash(hash)) throw new TypeError('a hash must be a Uint8Array of 32 bytes');
}
