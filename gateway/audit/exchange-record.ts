import { randomUUID } from 'node:crypto';
import { type ErrorCode, isErrorCode } from '../../core/index.ts';
import { type AuditRecord, compactJwtSchema, type RequestClaims } from '../../schemas/index.ts';
import { sha256Base64Url } from '../exchange/compact-jws.ts';

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
  readonly requestJws?: string | undefined;
  readonly responseJws?: string | undefined;
  readonly status: number;
  readonly errorCode?: ErrorCode | undefined;
  /** Set when the failure was the gateway's or the service's, not a refusal of the request. */
  readonly failed?: boolean;
}

const asJws = (value: string | undefined): string | null =>
  value !== undefined && compactJwtSchema.safeParse(value).success ? value : null;

/**
 * The audit record of one side of one exchange (DESIGN.md §8): who asked what about whom and why,
 * with digests and signatures; never payloads, tokens or query values.
 */
export function exchangeRecord(outcome: ExchangeOutcome): AuditRecord {
  const claims = outcome.claims;
  const requestJws = asJws(outcome.requestJws);
  const responseJws = asJws(outcome.responseJws);
  return {
    logTime: new Date(outcome.now).toISOString(),
    messageId: claims?.id ?? randomUUID(),
    side: outcome.side,
    gateway: outcome.gateway,
    client: claims?.client ?? outcome.client ?? null,
    service: claims?.service ?? outcome.service ?? null,
    method: /^[A-Z]{1,16}$/.test(outcome.method) ? outcome.method : 'INVALID',
    path: outcome.path.length <= 8192 && /^\/[^?#\s]*$/.test(outcome.path) ? outcome.path : '/',
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
    errorCode: outcome.errorCode !== undefined && isErrorCode(outcome.errorCode) ? outcome.errorCode : null,
    requestDigest: requestJws ? sha256Base64Url(requestJws) : null,
    responseDigest: responseJws ? sha256Base64Url(responseJws) : null,
    requestSignature: requestJws,
    responseSignature: responseJws,
    eidDigest: claims?.eid ?? null,
  };
}
