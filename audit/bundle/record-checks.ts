import { hash } from 'node:crypto';
import { canonicalJson, hashFromBase64, sha256Base64Url } from '../../protocol/codec/index.ts';
import { type AuditRecord, auditRecordSchema, printMemberId } from '../../schemas/index.ts';
import { type RecordFields, validateAuditRecord, validateRecordFields } from './record-validate.ts';
import type { ParsedJws, SignatureTrust } from './signature-trust.ts';

/** One thing wrong with one record: the field it concerns and what is wrong. */
export interface RecordProblem {
  readonly field: string;
  readonly message: string;
}

/** What checking one record yields: its leaf hash for the tree, the record if it parsed, problems. */
export interface CheckedRecord {
  /** The leaf to append to the tree: the stored leaf hash when the bundle has one. */
  readonly leaf: Uint8Array;
  readonly record: AuditRecord | undefined;
  readonly problems: RecordProblem[];
  /** Signatures verified (0–2). */
  readonly signatures: number;
}

/** A {@link CheckedRecord} with its leaf in canonical base64, as the chunk checker stores it. */
export interface RecordFindings extends Omit<CheckedRecord, 'leaf'> {
  readonly leaf: string;
}

/** Where a record comes from and what vouches for its signatures. */
export interface RecordInput {
  readonly canonical: string;
  /** The leaf hash the log's tree store holds for it (canonical base64), if the bundle has one. */
  readonly storedLeaf: string | null;
  readonly trust: SignatureTrust | undefined;
}

/**
 * Checks one record of a bundle: its text is canonical JSON (RFC 8785) of a valid audit record,
 * its bytes hash to the leaf the tree store holds, and, for an exchange that succeeded, both JWS
 * are there and verify with their `x5c` signer chaining to the anchor, the request signed by the
 * client's member and the response by the service's, and the record holds what they signed.
 * Signatures of rejected requests are not checked: a forged request is logged as it came.
 *
 * @example
 * const { leaf, problems } = checkRecord({ canonical: line.canonical, storedLeaf: line.leaf, trust });
 */
export function checkRecord(input: RecordInput): CheckedRecord {
  const findings = checkRecordText(input);
  return { ...findings, leaf: hashFromBase64(findings.leaf) };
}

/** {@link checkRecord}, the leaf left in base64. */
export function checkRecordText(input: RecordInput): RecordFindings {
  const problems: RecordProblem[] = [];
  const leaf = checkLeaf(input, problems);
  let parsed: unknown;
  try {
    parsed = JSON.parse(input.canonical);
  } catch {
    problems.push({ field: 'canonical', message: 'not JSON' });
    return { leaf, record: undefined, problems, signatures: 0 };
  }
  if (!isCanonical(input.canonical, parsed)) {
    problems.push({ field: 'canonical', message: 'not canonical JSON (RFC 8785)' });
  }
  return checkContent(parsed, validateAuditRecord(parsed), leaf, problems, input.trust);
}

/**
 * {@link checkRecordText} for a text already known to be canonical JSON, `parsed` being what
 * `JSON.parse` makes of it (see `readExportedLine`): the same findings without parsing it again.
 */
export function checkCanonicalRecord(input: RecordInput & { readonly parsed: RecordFields }): RecordFindings {
  const problems: RecordProblem[] = [];
  const leaf = checkLeaf(input, problems);
  return checkContent(input.parsed, validateRecordFields(input.parsed), leaf, problems, input.trust);
}

/** The leaf to append (base64): the stored one when there is one, checked against the text's hash. */
function checkLeaf(input: RecordInput, problems: RecordProblem[]): string {
  // RFC 9162 leaf hash of the text's UTF-8 bytes (U+0000 is the byte 0x00), hashed in one call.
  const computed = hash('sha256', `\u0000${input.canonical}`, 'base64');
  // Stored leaves are canonical base64 (checked with the line), so equal text means equal bytes.
  if (input.storedLeaf === null) return computed;
  if (computed !== input.storedLeaf) {
    problems.push({
      field: 'canonical',
      message: 'the record does not hash to its leaf in the log tree (changed after it was logged)',
    });
  }
  return input.storedLeaf;
}

/** The validated record's problems and, for a successful exchange, its signatures. */
function checkContent(
  parsed: unknown,
  validated: AuditRecord | undefined,
  leaf: string,
  problems: RecordProblem[],
  trust: SignatureTrust | undefined,
): RecordFindings {
  // The hand-written validator decided; the schema (its specification) names what is wrong.
  let record = validated;
  if (record === undefined) {
    const result = auditRecordSchema.safeParse(parsed);
    if (!result.success) {
      for (const issue of result.error.issues.slice(0, 5)) {
        problems.push({ field: issue.path.join('.') || '(record)', message: issue.message });
      }
      return { leaf, record: undefined, problems, signatures: 0 };
    }
    record = result.data;
  }
  const signatures = trust && record.outcome === 'ok' ? checkSignatures(record, trust, problems) : 0;
  return { leaf, record, problems, signatures };
}

/**
 * Whether `text` is the RFC 8785 form of `parsed`. A flat object with sorted member names and no
 * escapes (what every audit record is) is canonical exactly when `JSON.stringify` reproduces the
 * text, several times faster than re-serialising; anything else takes the full path.
 */
export function isCanonical(text: string, parsed: unknown): boolean {
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && !text.includes('\\')) {
    const keys = Object.keys(parsed);
    let flat = true;
    for (let i = 0; i < keys.length && flat; i++) {
      const value = (parsed as Record<string, unknown>)[keys[i]!];
      flat = (i === 0 || keys[i - 1]! < keys[i]!) && (typeof value !== 'object' || value === null);
    }
    if (flat) return JSON.stringify(parsed) === text;
  }
  try {
    return canonicalJson(parsed) === text;
  } catch {
    return false;
  }
}

/** JWS `typ` of the signed request and response (docs/protocol.md §3.2, §6.1). */
const REQUEST_TYPE = 'einmal-req+jws';
const RESPONSE_TYPE = 'einmal-res+jws';

/** The request claims an exchange record copies, and the record field that holds each. */
const SIGNED_FIELDS = [
  ['id', 'messageId'],
  ['client', 'client'],
  ['service', 'service'],
  ['method', 'method'],
  ['path', 'path'],
  ['userId', 'userId'],
  ['issue', 'issue'],
  ['purpose', 'purpose'],
  ['legalBasis', 'legalBasis'],
  ['consentRef', 'consentRef'],
  ['hiddenUntil', 'hiddenUntil'],
  ['hiddenReason', 'hiddenReason'],
  ['eid', 'eidDigest'],
] as const;

/** The member (`INSTANCE/CLASS/MEMBER`) of a printed client or service id. */
const memberPart = (id: string | null): string | null => (id === null ? null : id.split('/', 3).join('/'));

/**
 * The signatures of a successful exchange, which make its record evidence: both envelopes are
 * there, each is signed by the member it speaks for (the request by the client's member, the
 * response by the service's, as the gateways checked before serving), and the record says what was
 * signed. So neither side's operator can log an exchange that did not happen, or log it under
 * another subject, purpose or hiding than the client signed, and still pass verification.
 */
function checkSignatures(record: AuditRecord, trust: SignatureTrust, problems: RecordProblem[]): number {
  const at = new Date(record.logTime);
  let verified = 0;
  if (record.requestSignature === null) {
    problems.push({ field: 'requestSignature', message: 'a successful exchange without its signed request' });
  } else {
    const jws = record.requestSignature;
    if (record.requestDigest !== sha256Base64Url(jws)) {
      problems.push({ field: 'requestDigest', message: 'does not match the request signature' });
    }
    const request = trust.check(jws, { usage: 'signing', at });
    if (typeof request === 'string') {
      problems.push({ field: 'requestSignature', message: request });
    } else {
      verified += 1;
      if (request.typ !== REQUEST_TYPE) {
        problems.push({ field: 'requestSignature', message: `typ is not ${REQUEST_TYPE}` });
      }
      checkSigner(request, memberPart(record.client), 'requestSignature', "client's", problems);
      const claims = request.payload;
      for (const [claim, field] of SIGNED_FIELDS) {
        if (claims[claim] !== record[field]) {
          problems.push({ field, message: `differs from the signed request's '${claim}'` });
        }
      }
      // With an eID token the subject is the token's, which the provider verified; a declared
      // subject is signed, and the token's must equal it.
      if ((claims.subject !== null || claims.eid === null) && claims.subject !== record.subject) {
        problems.push({ field: 'subject', message: "differs from the signed request's 'subject'" });
      }
    }
  }
  if (record.responseSignature === null) {
    problems.push({
      field: 'responseSignature',
      message: 'a successful exchange without its signed response',
    });
  } else {
    const jws = record.responseSignature;
    if (record.responseDigest !== sha256Base64Url(jws)) {
      problems.push({ field: 'responseDigest', message: 'does not match the response signature' });
    }
    const response = trust.check(jws, { usage: 'signing', at });
    if (typeof response === 'string') {
      problems.push({ field: 'responseSignature', message: response });
    } else {
      verified += 1;
      if (response.typ !== RESPONSE_TYPE) {
        problems.push({ field: 'responseSignature', message: `typ is not ${RESPONSE_TYPE}` });
      }
      checkSigner(response, memberPart(record.service), 'responseSignature', "service's", problems);
      if (response.payload.id !== record.messageId) {
        problems.push({ field: 'messageId', message: "differs from the signed response's 'id'" });
      }
      if (response.payload.status !== record.status) {
        problems.push({ field: 'status', message: "differs from the signed response's 'status'" });
      }
      if (record.requestDigest !== null && response.payload.req !== record.requestDigest) {
        problems.push({ field: 'responseSignature', message: 'the signed response answers another request' });
      }
    }
  }
  return verified;
}

function checkSigner(
  parsed: ParsedJws,
  expected: string | null,
  field: 'requestSignature' | 'responseSignature',
  whose: string,
  problems: RecordProblem[],
): void {
  const signer = parsed.certificate.member ? printMemberId(parsed.certificate.member) : null;
  if (signer === null || signer !== expected) {
    problems.push({
      field,
      message: `signed by ${signer ? `member ${signer}` : 'a certificate naming no member'}, not by the ${whose} member${expected ? ` ${expected}` : ''}`,
    });
  }
}
