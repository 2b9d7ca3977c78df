import { z } from 'zod';
import { isErrorCode } from '../core/errors/index.ts';
import { httpMethodSchema, requestPathSchema, sha256Base64UrlSchema } from './exchange.ts';
import {
  compactJwtSchema,
  messageIdSchema,
  printableTextSchema,
  processingCodeSchema,
  subjectIdSchema,
} from './headers.ts';
import {
  printedClientIdSchema,
  printedGatewayIdSchema,
  printedLegacyServiceIdSchema,
} from './identifiers.ts';

/** How an exchange ended for the gateway writing the record. */
export const AUDIT_OUTCOMES = ['ok', 'rejected', 'failed'] as const;

/**
 * One audit log record (docs/protocol.md §8): one per exchange per side, plus one per rejected request.
 * It names who asked what about whom and why, with digests and signatures, never payloads and
 * never query values (they may hold personal data). Absent values are `null`, so every record has
 * the same fields for canonical hashing.
 */
export const auditRecordSchema = z.strictObject({
  logTime: z.iso.datetime({ offset: true }),
  messageId: messageIdSchema,
  side: z.enum(['consumer', 'provider']),
  gateway: printedGatewayIdSchema,
  // Null only on a rejection that came before the client or service could be known.
  client: printedClientIdSchema.nullable(),
  // Five parts; records written before five-part service ids keep the six they were signed with
  // (readers show them with `currentServiceId`).
  service: printedLegacyServiceIdSchema.nullable(),
  method: httpMethodSchema,
  path: requestPathSchema,
  subject: subjectIdSchema.nullable(),
  userId: printableTextSchema.nullable(),
  issue: printableTextSchema.nullable(),
  purpose: processingCodeSchema.nullable(),
  legalBasis: processingCodeSchema.nullable(),
  consentRef: processingCodeSchema.nullable(),
  hiddenUntil: z.iso.datetime({ offset: true }).nullable(),
  hiddenReason: printableTextSchema.nullable(),
  status: z.int().min(100).max(599),
  outcome: z.enum(AUDIT_OUTCOMES),
  errorCode: z.string().refine(isErrorCode, 'Must be a known error code').nullable(),
  requestDigest: sha256Base64UrlSchema.nullable(),
  responseDigest: sha256Base64UrlSchema.nullable(),
  requestSignature: z.string().pipe(compactJwtSchema).nullable(),
  responseSignature: z.string().pipe(compactJwtSchema).nullable(),
  eidDigest: sha256Base64UrlSchema.nullable(),
});

/** One audit log record. */
export type AuditRecord = z.infer<typeof auditRecordSchema>;
