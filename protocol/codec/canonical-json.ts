import { EinmalError } from '../../core/errors/index.ts';

/** A JSON value as RFC 8785 understands it: no `undefined`, no non-finite numbers, no class instances. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** `String.prototype.isWellFormed` (ES2024, in Node 20): false exactly when a surrogate has no partner. */
const isWellFormed = (value: string): boolean =>
  (value as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * A refusal on its way up: the path is put together from the segments only when one is thrown,
 * so the common case builds no path strings.
 */
class Refusal {
  readonly segments: string[] = [];
  constructor(readonly reason: string) {}
}

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
  return serialiseAt(value);
}

/** Serialises `value`, turning a refusal anywhere inside into `Audit.InvalidRecord` with its path. */
function serialiseAt(value: unknown): string {
  try {
    return serialise(value);
  } catch (error) {
    if (error instanceof Refusal) throw refuse(`$${error.segments.reverse().join('')}`, error.reason);
    throw error;
  }
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
  const text = serialiseAt(record);
  const bytes = Buffer.from(text, 'utf8');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function serialise(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return serialiseString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Refusal('numbers must be finite');
      // ECMAScript Number::toString is the RFC 8785 §3.2.2.3 number format; it also prints -0 as 0.
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return serialiseArray(value);
      return serialiseObject(value);
    default:
      throw new Refusal(`a ${typeof value} is not a JSON value`);
  }
}

function serialiseString(value: string): string {
  if (!isWellFormed(value)) throw new Refusal('strings must be well-formed Unicode');
  // JSON.stringify escapes exactly what RFC 8785 §3.2.2.2 escapes, with lower-case \u00xx.
  return JSON.stringify(value);
}

function serialiseArray(items: readonly unknown[]): string {
  const parts: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    try {
      if (item === undefined) throw new Refusal('arrays must not hold undefined');
      parts.push(serialise(item));
    } catch (error) {
      if (error instanceof Refusal) error.segments.push(`[${i}]`);
      throw error;
    }
  }
  return `[${parts.join(',')}]`;
}

function serialiseObject(value: object): string {
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new Refusal('only plain objects are JSON objects');
  }
  const record = value as Record<string, unknown>;
  // Default string order compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks for.
  const keys = Object.keys(record).sort();
  let text = '{';
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    if (!isWellFormed(key)) throw new Refusal('strings must be well-formed Unicode');
    try {
      text += `${text.length > 1 ? ',' : ''}${JSON.stringify(key)}:${serialise(member)}`;
    } catch (error) {
      if (error instanceof Refusal) error.segments.push(`.${key}`);
      throw error;
    }
  }
  return `${text}}`;
}

function refuse(path: string, reason: string): EinmalError {
  return new EinmalError('Audit.InvalidRecord', { detail: { path, reason } });
}
