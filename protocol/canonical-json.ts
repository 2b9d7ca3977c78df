import { EinmalError } from '../core/errors/index.ts';

/** A JSON value as RFC 8785 understands it: no `undefined`, no non-finite numbers, no class instances. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** Matches a UTF-16 code unit of a surrogate pair that has no partner (the `u` flag pairs the rest). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Serialises a JSON value canonically (RFC 8785, JSON Canonicalization Scheme): object members
 * sorted by the UTF-16 code units of their names, no whitespace, numbers as ECMAScript prints them,
 * strings with the minimal JSON escapes. Object members whose value is `undefined` are left out, as
 * `JSON.stringify` does, so a record stored as JSON and read back canonicalises to the same text.
 *
 * Refuses (`Audit.InvalidRecord`) what RFC 8785 cannot represent: non-finite numbers, lone
 * surrogates (§3.2.2.2), `undefined` in arrays, bigints, functions, symbols and objects that are not
 * plain (a `Date` must be turned into its ISO string first).
 *
 * @example
 * canonicalJson({ b: 1, a: [true, 'x'] }); // '{"a":[true,"x"],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, '$');
}

/**
 * The bytes an audit record is hashed and signed over: its RFC 8785 canonical JSON in UTF-8.
 * The Merkle leaf of a record is `leafHash(canonicalRecord(record))`.
 *
 * @example
 * const leaf = leafHash(canonicalRecord({ messageId, side: 'provider', status: 200 }));
 */
export function canonicalRecord(record: Readonly<Record<string, unknown>>): Uint8Array {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw refuse('$', 'an audit record must be a JSON object');
  }
  const text = serialise(record, '$');
  const bytes = Buffer.from(text, 'utf8');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function serialise(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
      return serialiseString(value, path);
    case 'number':
      if (!Number.isFinite(value)) throw refuse(path, 'numbers must be finite');
      // ECMAScript Number::toString is the RFC 8785 §3.2.2.3 number format; it also prints -0 as 0.
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return serialiseArray(value, path);
      return serialiseObject(value, path);
    default:
      throw refuse(path, `a ${typeof value} is not a JSON value`);
  }
}

function serialiseString(value: string, path: string): string {
  if (LONE_SURROGATE.test(value)) throw refuse(path, 'strings must be well-formed Unicode');
  // JSON.stringify escapes exactly what RFC 8785 §3.2.2.2 escapes, with lower-case \u00xx.
  return JSON.stringify(value);
}

function serialiseArray(items: readonly unknown[], path: string): string {
  const parts: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item === undefined) throw refuse(`${path}[${i}]`, 'arrays must not hold undefined');
    parts.push(serialise(item, `${path}[${i}]`));
  }
  return `[${parts.join(',')}]`;
}

function serialiseObject(value: object, path: string): string {
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw refuse(path, 'only plain objects are JSON objects');
  }
  const record = value as Record<string, unknown>;
  // Default string order compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks for.
  const keys = Object.keys(record).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    parts.push(`${serialiseString(key, path)}:${serialise(member, `${path}.${key}`)}`);
  }
  return `{${parts.join(',')}}`;
}

function refuse(path: string, reason: string): EinmalError {
  return new EinmalError('Audit.InvalidRecord', { detail: { path, reason } });
}
