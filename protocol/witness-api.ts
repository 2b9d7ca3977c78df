import { z } from 'zod';
import { base64HashSchema } from './codec/hash-codec.ts';

/** Longest checkpoint or cosignature JWS the witness API carries. */
const MAX_STATEMENT_LENGTH = 64 * 1024;
const statementSchema = z.string().min(1).max(MAX_STATEMENT_LENGTH);

/**
 * What a gateway submits to the witness (`POST /witness/checkpoints`, docs/protocol.md §12.3): its
 * signed checkpoint, and an RFC 9162 §2.1.4 consistency proof from `fromSize`, the size the witness
 * last cosigned for that origin (0 and no proof for the first checkpoint).
 */
export const checkpointSubmissionSchema = z.strictObject({
  checkpoint: statementSchema,
  consistencyProof: z.array(base64HashSchema).max(64),
  fromSize: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});

/** A checkpoint submission. */
export type CheckpointSubmission = z.infer<typeof checkpointSubmissionSchema>;

/** A checkpoint and the witness's cosignature over it, both compact JWS, as the witness serves them. */
export interface CosignedCheckpoint {
  readonly checkpoint: string;
  readonly cosignature: string;
}

/**
 * A cosigned checkpoint as read from the witness or from a file. Other members (a history entry's
 * `size`) are ignored; the two statements are verified by the reader.
 */
export const cosignedCheckpointSchema = z.object({
  checkpoint: statementSchema,
  cosignature: statementSchema,
}) satisfies z.ZodType<CosignedCheckpoint>;
