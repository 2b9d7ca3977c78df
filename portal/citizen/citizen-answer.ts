import { z } from 'zod';
import { base64HashSchema } from '../../protocol/index.ts';

/*
 * The gateway citizen API's answer (gateway/citizen, `GET /citizen/v1/records`), read as untrusted
 * input: every field is bounded, and only what the portal shows or checks is kept. Fields a newer
 * gateway adds are ignored.
 */

const text = (max: number) => z.string().max(max);
const isoTime = z.iso.datetime({ offset: true });
const titled = z.object({ code: text(128), title: text(300).nullable() }).nullable();

const proofSchema = z.object({
  tree: text(255),
  leafIndex: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  treeSize: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
  proof: z.array(base64HashSchema).max(64),
  /** The canonical JSON text the leaf covers. */
  record: text(256 * 1024).min(2),
});

/** One record as a gateway describes it to the citizen. */
export const citizenRecordSchema = z.object({
  messageId: text(64),
  side: z.enum(['consumer', 'provider']),
  time: isoTime,
  agency: z.object({ member: text(200).nullable(), client: text(300).nullable() }),
  data: z.object({ service: text(400).nullable() }),
  purpose: titled,
  legalBasis: titled,
  consentReference: text(300).nullable(),
  official: text(300).nullable(),
  issue: text(300).nullable(),
  status: z.int().min(100).max(599),
  outcome: z.enum(['ok', 'rejected', 'failed']),
  /** When the record became visible to its subject; a later time must never be shown. */
  hiddenUntil: isoTime.nullable(),
  hiddenReason: text(300).nullable(),
  proof: proofSchema.nullable(),
});

/** One record of a citizen API answer. */
export type CitizenRecord = z.infer<typeof citizenRecordSchema>;

const checkpointSchema = z.object({
  tree: text(255),
  size: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  jws: text(64 * 1024),
  cosignature: text(64 * 1024),
});

/** One page of the citizen API. */
export const citizenPageSchema = z.object({
  subject: text(64),
  records: z.array(citizenRecordSchema).max(200),
  checkpoints: z.array(checkpointSchema).max(64),
  nextCursor: text(400).nullable(),
});

/** One page of the citizen API. */
export type CitizenPage = z.infer<typeof citizenPageSchema>;
