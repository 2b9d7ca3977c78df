import { auditRecordSchema } from '../../schemas/index.ts';
import { BASE64_HASH_PATTERN, type RecordFields, type RecordLine } from './record-validate.ts';

/**
 * The exporter's layout of a `records.ndjson` line, read without parsing it twice: the export
 * writes `JSON.stringify({ index, canonical, leaf })` of canonical JSON, so a record whose fields
 * are nulls, integers and strings of printable ASCII other than `"` and `\` appears as
 *
 *     {"index":7,"canonical":"{\"client\":\"DEMO/GOV/x/y\",\"consentRef\":null,…}","leaf":"…="}
 *
 * with its fields in RFC 8785 order. One regular expression recognises exactly that text; for
 * such a line `JSON.parse` of the line and of its `canonical` would give the same values, the
 * line is a valid `{index, canonical, leaf}`, and the canonical text is canonical (a flat object,
 * names sorted, strings that need no escape, integers written as ECMAScript prints them). Any
 * other line, valid or not, is not recognised and takes the general path, which decides it as
 * before.
 */

/** The audit record's fields in RFC 8785 order (UTF-16 code units), as canonical JSON has them. */
const FIELDS = Object.keys(auditRecordSchema.shape).sort();

/** The one field written as an integer; every other field is read as a string or null. */
const INTEGER_FIELD = 'status';

/** A string's characters, escaped neither in the record nor in the line. */
const PLAIN_TEXT = '[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]*';
/** An integer as ECMAScript prints it, small enough to be exact (at most 15 digits). */
const INTEGER = '0|-?[1-9][0-9]{0,14}';

const fieldPattern = (name: string, i: number) =>
  `${i === 0 ? '' : ','}\\\\"${name}\\\\":${name === INTEGER_FIELD ? `(${INTEGER})` : `(?:null|\\\\"(${PLAIN_TEXT})\\\\")`}`;

/** Groups: 1 the index, 2 the canonical text as a JSON string literal, then one per field, then the leaf. */
const EXPORTED_LINE = new RegExp(
  `^\\{"index":(0|[1-9][0-9]{0,14}),"canonical":("\\{${FIELDS.map(fieldPattern).join('')}\\}"),"leaf":(?:null|"(${BASE64_HASH_PATTERN})")\\}$`,
);

/** A line in the exporter's layout: its `{index, canonical, leaf}` and the record `canonical` holds. */
export interface ExportedLine extends RecordLine {
  readonly canonical: string;
  /** What `JSON.parse(canonical)` gives, fields in the same order; not yet validated. */
  readonly record: RecordFields;
}

/**
 * Reads a line in the exporter's layout; `undefined` for any other line (which may still be a
 * valid record line: the caller then parses it in full).
 *
 * @example
 * const exported = readExportedLine(line) ?? parseInFull(line);
 */
export function readExportedLine(line: string): ExportedLine | undefined {
  const match = EXPORTED_LINE.exec(line);
  if (match === null) return undefined;
  return {
    index: Number(match[1]),
    canonical: JSON.parse(match[2]!) as string,
    leaf: match[FIELDS.length + 3] ?? null,
    record: recordOf(match),
  };
}

/**
 * The record from the match's field groups (3, 4, …: the fields in canonical order), built as one
 * literal so every record shares one shape: a null field's group did not take part in the match.
 */
function recordOf(m: RegExpExecArray): RecordFields {
  return {
    client: m[3] ?? null,
    consentRef: m[4] ?? null,
    eidDigest: m[5] ?? null,
    errorCode: m[6] ?? null,
    gateway: m[7] ?? null,
    hiddenReason: m[8] ?? null,
    hiddenUntil: m[9] ?? null,
    issue: m[10] ?? null,
    legalBasis: m[11] ?? null,
    logTime: m[12] ?? null,
    messageId: m[13] ?? null,
    method: m[14] ?? null,
    outcome: m[15] ?? null,
    path: m[16] ?? null,
    purpose: m[17] ?? null,
    requestDigest: m[18] ?? null,
    requestSignature: m[19] ?? null,
    responseDigest: m[20] ?? null,
    responseSignature: m[21] ?? null,
    service: m[22] ?? null,
    side: m[23] ?? null,
    status: Number(m[24]),
    subject: m[25] ?? null,
    userId: m[26] ?? null,
  };
}

// The literal above must name the record's fields in the order of the pattern's groups.
if (Object.keys(recordOf([] as unknown as RegExpExecArray)).join() !== FIELDS.join()) {
  throw new Error('recordOf does not list the audit record fields in canonical order');
}
