import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { EinmalError, type ErrorCode } from '../../core/index.ts';
import { type DigestedEnvelope, sha256Base64Url } from '../../protocol/index.ts';
import {
  type AuditRecord,
  auditRecordSchema,
  isStorableInstant,
  type RequestClaims,
} from '../../schemas/index.ts';

/** What one side knows about an exchange when it writes its record. */
export interface ExchangeOutcome {
  readonly side: AuditRecord['side'];
  readonly gateway: string;
  readonly now: number;
  readonly method: string;
  /** The request path; the query is never logged (it may hold personal data). */
  readonly path: string;
  readonly claims?: RequestClaims | undefined;
  readonly client?: string | null | undefined;
  readonly service?: string | null | undefined;
  readonly subject?: string | null | undefined;
  readonly request?: DigestedEnvelope | undefined;
  readonly responseJws?: string | undefined;
  readonly status: number;
  readonly errorCode?: ErrorCode | undefined;
  /** Set when the failure was the gateway's or the service's, not a refusal of the request. */
  readonly failed?: boolean;
}

/**
 * The audit record of one side of one exchange (docs/protocol.md §8): who asked what about whom and why,
 * with digests and signatures; never payloads, tokens or query values. Every value is taken as
 * given: an exchange is served only after {@link checkLoggable} accepted its record, and a
 * rejection's record goes through {@link loggableRejection}.
 */
export function exchangeRecord(outcome: ExchangeOutcome): AuditRecord {
  const claims = outcome.claims;
  const { request, responseJws } = outcome;
  return {
    logTime: new Date(outcome.now).toISOString(),
    messageId: claims?.id ?? randomUUID(),
    side: outcome.side,
    gateway: outcome.gateway,
    client: claims?.client ?? outcome.client ?? null,
    service: claims?.service ?? outcome.service ?? null,
    method: outcome.method,
    path: outcome.path,
    subject: outcome.subject !== undefined ? outcome.subject : (claims?.subject ?? null),
    userId: claims?.userId ?? null,
    issue: claims?.issue ?? null,
    purpose: claims?.purpose ?? null,
    legalBasis: claims?.legalBasis ?? null,
    consentRef: claims?.consentRef ?? null,
    hiddenUntil: claims?.hiddenUntil ?? null,
    hiddenReason: claims?.hiddenReason ?? null,
    status: outcome.status,
    outcome: outcome.errorCode === undefined ? 'ok' : outcome.failed ? 'failed' : 'rejected',
    errorCode: outcome.errorCode ?? null,
    requestDigest: request?.digest ?? null,
    responseDigest: responseJws !== undefined ? sha256Base64Url(responseJws) : null,
    requestSignature: request?.jws ?? null,
    responseSignature: responseJws ?? null,
    eidDigest: claims?.eid ?? null,
  };
}

/**
 * The fields of `record` that the log could not hold, in schema order: those the audit record
 * schema refuses (the offline verifier would fail on them for ever), and instants PostgreSQL's
 * `timestamptz` refuses although the schema takes them. Empty when the record can be written.
 */
export function unloggableFields(record: AuditRecord, schema: z.ZodType = auditRecordSchema): string[] {
  const parsed = schema.safeParse(record);
  const fields = new Set(parsed.success ? [] : parsed.error.issues.map((issue) => String(issue.path[0])));
  if (!isStorableInstant(Date.parse(record.logTime))) fields.add('logTime');
  if (record.hiddenUntil !== null && !isStorableInstant(Date.parse(record.hiddenUntil))) {
    fields.add('hiddenUntil');
  }
  return [...fields];
}

/**
 * The fields of a record that a request decides, the only ones {@link checkLoggable} parses: the
 * others are the gateway's own (its time, name, side, status, outcome and code, and the digests it
 * computes), or, for the request envelope, were checked against the same schema when the request
 * arrived (a consumer signs its own, within the envelope length).
 */
const requestFieldsSchema = z.object(
  auditRecordSchema.pick({
    messageId: true,
    client: true,
    service: true,
    method: true,
    path: true,
    subject: true,
    userId: true,
    issue: true,
    purpose: true,
    legalBasis: true,
    consentRef: true,
    hiddenUntil: true,
    hiddenReason: true,
    eidDigest: true,
  }).shape,
);

/**
 * Refuses, with `code`, a record the log could not hold, naming its fields (never their values).
 * Called on the finished record before anything is sent to a peer or an adapter, so nothing is
 * served that would then fail to be logged, or be logged other than as signed.
 *
 * @throws EinmalError `code`
 */
export function checkLoggable(
  record: AuditRecord,
  code: 'Client.RequestNotLoggable' | 'Server.ServerProxy.RequestNotLoggable',
): void {
  const fields = unloggableFields(record, requestFieldsSchema);
  if (fields.length > 0) {
    throw new EinmalError(code, {
      message: `The audit log cannot hold the request's ${fields.join(', ')} as signed`,
      detail: { fields },
    });
  }
}

/** What stands in for a required field the log could not hold. */
const PLACEHOLDERS: Partial<Record<keyof AuditRecord, unknown>> = {
  method: 'INVALID',
  path: '/',
};

/**
 * The record of a refusal, with every field the log could not hold emptied (a placeholder where
 * the field is required): the refusal is logged whatever the request carried. Nothing was served,
 * so nothing that was served goes missing from the log; the digest of a signature too large to
 * keep still names what was received. The fields the gateway sets itself (time, side, gateway,
 * status, outcome, code) are its own and taken as they are.
 */
export function loggableRejection(record: AuditRecord): AuditRecord {
  const fields = unloggableFields(record);
  if (fields.length === 0) return record;
  const repaired: Record<string, unknown> = { ...record };
  for (const field of fields) {
    if (field === 'messageId') repaired.messageId = randomUUID();
    else repaired[field] = PLACEHOLDERS[field as keyof AuditRecord] ?? null;
  }
  return repaired as unknown as AuditRecord;
}
