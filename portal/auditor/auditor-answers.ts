import { z } from 'zod';
import { base64HashSchema } from '../../protocol/index.ts';

/*
 * The gateway auditor API's answers (gateway/auditor), read as untrusted input: bounded, and only
 * what the portal shows or checks is kept.
 */

const text = (max: number) => z.string().max(max);
const nullableText = (max: number) => text(max).nullable();

/** The fields of a logged record the auditor pages show. */
export const auditorRecordFieldsSchema = z.object({
  logTime: z.iso.datetime({ offset: true }),
  messageId: text(64),
  side: z.enum(['consumer', 'provider']),
  gateway: text(300),
  client: nullableText(300),
  service: nullableText(400),
  method: text(16),
  path: text(4096),
  subject: nullableText(64),
  userId: nullableText(300),
  issue: nullableText(300),
  purpose: nullableText(128),
  legalBasis: nullableText(128),
  status: z.int().min(100).max(599),
  outcome: z.enum(['ok', 'rejected', 'failed']),
  errorCode: nullableText(128),
});

/** A logged record as the auditor search shows it. */
export type AuditorRecordFields = z.infer<typeof auditorRecordFieldsSchema>;

const auditorRowSchema = z.object({
  tree: text(255),
  leafIndex: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  record: auditorRecordFieldsSchema,
  cursor: text(400),
});

/** `GET /audit/v1/records`. */
export const auditorPageSchema = z.object({
  records: z.array(auditorRowSchema).max(1000),
  nextCursor: nullableText(400),
});

const checkpointSchema = z.object({
  size: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  root: base64HashSchema,
  time: z.iso.datetime({ offset: true }),
  jws: text(64 * 1024),
  cosignature: text(64 * 1024),
});

/** `GET /audit/v1/record`. */
export const auditorRecordSchema = z.object({
  tree: text(255),
  leafIndex: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  canonical: text(256 * 1024).min(2),
  proof: z
    .object({
      treeSize: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
      leafHash: base64HashSchema,
      inclusionProof: z.array(base64HashSchema).max(64),
    })
    .nullable(),
  checkpoint: checkpointSchema.nullable(),
});

/** `GET /audit/v1/logs`. */
export const auditorLogsSchema = z.object({
  logs: z
    .array(
      z.object({
        tree: text(255),
        size: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
        witnessed: checkpointSchema.pick({ size: true, root: true, time: true }).nullable(),
      }),
    )
    .max(100),
});
