import { randomUUID } from 'node:crypto';
import { type AuditRecord, auditRecordSchema } from '../schemas/index.ts';

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
