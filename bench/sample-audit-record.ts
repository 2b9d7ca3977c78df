import { randomUUID } from 'node:crypto';
import { sha256Base64Url } from '../protocol/codec/index.ts';
import { type AuditRecord, auditRecordSchema } from '../schemas/index.ts';
import { signExchange } from './signed-exchange.ts';

/**
 * A valid consumer-side record of Munich's parking-permit office asking the residents' office for
 * Anna's address, logged now under a fresh message id; `fields` override any part. Parsed with the
 * record schema, so a fixture that could never be logged fails at once.
 */
export function sampleAuditRecord(fields: Partial<AuditRecord> = {}): AuditRecord {
  return auditRecordSchema.parse({
    logTime: new Date().toISOString(),
    messageId: randomUUID(),
    side: 'consumer',
    gateway: 'DEMO/GOV/munich/gw1',
    client: 'DEMO/GOV/munich/parking-permits',
    service: 'DEMO/GOV/residents-office/register/address-v1',
    method: 'GET',
    path: '/r1/DEMO/GOV/residents-office/register/address-v1',
    subject: 'DE65402138797',
    userId: null,
    issue: null,
    purpose: 'parking-permit',
    legalBasis: null,
    consentRef: null,
    hiddenUntil: null,
    hiddenReason: null,
    status: 200,
    outcome: 'ok',
    errorCode: null,
    requestDigest: null,
    responseDigest: null,
    requestSignature: null,
    responseSignature: null,
    eidDigest: null,
    ...fields,
  });
}

/**
 * Record number `n` of a benchmark log, cheap to make by the million (not parsed): the permit
 * system asking for citizen `citizen`'s address, refused (a security event, whose hash alone the
 * verifier checks) or, with `signers`, a successful exchange signed by the client's and the
 * service's member.
 */
export function syntheticAuditRecord(
  n: number,
  options: {
    readonly logTime: string;
    readonly messageId: string;
    readonly side: AuditRecord['side'];
    readonly gateway: string;
    readonly citizen: number;
    readonly signers?: Parameters<typeof signExchange>[1] | undefined;
  },
): AuditRecord {
  const signers = options.signers;
  const signed = signers !== undefined;
  const record: AuditRecord = {
    logTime: options.logTime,
    messageId: options.messageId,
    side: options.side,
    gateway: options.gateway,
    client: 'DEMO/GOV/munich/parking-permits',
    service: 'DEMO/GOV/residents-office/register/address-v1',
    method: 'GET',
    path: '/address',
    subject: `DE${String(options.citizen).padStart(8, '0')}`,
    userId: `clerk-${n % 97}`,
    issue: `permit-${n}`,
    purpose: 'parking-permit',
    legalBasis: 'StVO-45',
    consentRef: null,
    hiddenUntil: null,
    hiddenReason: null,
    status: signed ? 200 : 403,
    outcome: signed ? 'ok' : 'rejected',
    errorCode: signed ? null : 'Server.ServerProxy.AccessDenied',
    requestDigest: sha256Base64Url(`request ${n}`),
    responseDigest: null,
    requestSignature: null,
    responseSignature: null,
    eidDigest: sha256Base64Url(`eid ${options.citizen}`),
  };
  return signed ? { ...record, ...signExchange(record, signers) } : record;
}
