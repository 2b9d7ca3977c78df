import { z } from 'zod';

/**
 * The earliest and latest instants einmal accepts from anyone, in epoch milliseconds: years
 * 0001–9999 in UTC. The record schema's ISO form has four-digit years, and PostgreSQL's
 * `timestamptz` refuses the year 0000 (`0000-01-01T00:00:00Z` is 1 BC, which its ISO input does not
 * take) and prints years past 9999 in a form `Date` writes as `+010000-…`. Inside these bounds
 * `Date`, zod, the record schema and the store agree on every value.
 */
export const EARLIEST_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
export const LATEST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/** Whether epoch milliseconds lie within {@link EARLIEST_INSTANT} and {@link LATEST_INSTANT}. */
export const isStorableInstant = (ms: number): boolean =>
  Number.isFinite(ms) && ms >= EARLIEST_INSTANT && ms <= LATEST_INSTANT;

/**
 * Every date-time anyone can send (headers, signed claims, query parameters, request bodies): ISO
 * 8601 with `Z` or an offset, within years 0001–9999 once in UTC, normalised to UTC with
 * milliseconds (`2026-05-01T10:00:00.000Z`). What it accepts, PostgreSQL and the audit record
 * schema both store.
 *
 * @example instantSchema.parse('2026-07-01T12:00:00+02:00') // '2026-07-01T10:00:00.000Z'
 */
export const instantSchema = z.iso.datetime({ offset: true }).transform((text, ctx) => {
  const ms = Date.parse(text);
  if (!isStorableInstant(ms)) {
    ctx.addIssue({ code: 'custom', message: 'Must lie between the years 0001 and 9999 (UTC)' });
    return z.NEVER;
  }
  return new Date(ms).toISOString();
});

/** {@link instantSchema} as a `Date`, for query parameters. */
export const instantDateSchema = instantSchema.transform((text) => new Date(text));

/**
 * An instant in the one spelling {@link instantSchema} produces, kept as sent: for documents that
 * are signed, where a value must not change between what was signed and what is logged.
 */
export const canonicalInstantSchema = z.string().refine((text) => {
  const parsed = instantSchema.safeParse(text);
  return parsed.success && parsed.data === text;
}, 'Must be a UTC date-time with milliseconds between the years 0001 and 9999 (e.g. 2026-05-01T10:00:00.000Z)');

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Whether `text` holds a C0 or C1 control character or DEL (PostgreSQL text cannot hold NUL). */
export const hasControlCharacter = (text: string): boolean => CONTROL.test(text);

/** Free text a caller may send in a query parameter or body: no control characters. */
export const plainTextSchema = z.string().refine((text) => !hasControlCharacter(text), {
  message: 'Must not contain control characters',
});
