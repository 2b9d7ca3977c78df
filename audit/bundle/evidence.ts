import { createHash } from 'node:crypto';
import { z } from 'zod';
import { EinmalError } from '../../core/index.ts';
import { base64HashSchema, hashFromBase64, toPlainBytes } from '../../protocol/index.ts';
import { type AuditRecord, auditRecordSchema } from '../../schemas/index.ts';
import { verifyInclusion } from '../merkle-verify.ts';
import { MAX_RECORD_LINE } from './bundle-format.ts';
import { checkCosignedCheckpoint, type WitnessedCheckpoint } from './checkpoint-checks.ts';
import { isCanonical } from './record-checks.ts';
import { validateAuditRecord } from './record-validate.ts';
import type { SignatureTrust } from './signature-trust.ts';

/** Version of the evidence file layout; a verifier refuses versions it does not know. */
export const EVIDENCE_FORMAT = 'einmal-evidence/1';

const compactJws = z
  .string()
  .max(64 * 1024)
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'Must be a compact JWS');

/**
 * The evidence that one audit record is in a gateway's log: the record exactly as hashed into the
 * log, its RFC 9162 inclusion proof, and the checkpoint the proof leads to with the witness's
 * cosignature. Verifiable offline with nothing but the federation's root certificate.
 */
export const evidenceItemSchema = z.strictObject({
  /** The record's canonical JSON (RFC 8785); its leaf hash is SHA-256(0x00 ‖ UTF-8 bytes). */
  record: z.string().min(2).max(MAX_RECORD_LINE),
  leafIndex: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  treeSize: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** The inclusion proof, standard base64 hashes, leaf to root. */
  inclusionProof: z.array(base64HashSchema).max(64),
  /** The gateway's signed checkpoint of size `treeSize` and the witness's cosignature of it. */
  checkpoint: compactJws,
  cosignature: compactJws,
});

/** One record's evidence. */
export type EvidenceItem = z.infer<typeof evidenceItemSchema>;

/**
 * An evidence file, as the portal's "Download evidence" writes it: one item per record of an
 * exchange (the consumer's and the provider's), verified by `einmal audit verify-evidence`.
 */
export const evidenceSchema = z.strictObject({
  format: z.literal(EVIDENCE_FORMAT),
  created: z.iso.datetime(),
  items: z.array(evidenceItemSchema).min(1).max(100),
});

/** An evidence file. */
export type Evidence = z.infer<typeof evidenceSchema>;

/**
 * Checked checkpoints by their checkpoint and cosignature texts, so that many records under one
 * checkpoint cost one check. It must be dropped when the verifier's trust changes.
 */
export interface CheckpointCache {
  get(jws: string, cosignature: string): Promise<WitnessedCheckpoint> | undefined;
  set(jws: string, cosignature: string, value: Promise<WitnessedCheckpoint>): void;
}

/** What a verified evidence item proves. */
export interface VerifiedEvidence {
  readonly record: AuditRecord;
  readonly leafHash: Uint8Array;
  readonly witnessed: WitnessedCheckpoint;
}

/**
 * Reads an evidence file's JSON; anything else is `Audit.InvalidEvidence` naming the first problem.
 *
 * @example
 * const evidence = parseEvidence(await readFile('evidence.json', 'utf8'));
 */
export function parseEvidence(text: string): Evidence {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new EinmalError('Audit.InvalidEvidence', { message: 'The evidence file is not JSON', cause });
  }
  const parsed = evidenceSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EinmalError('Audit.InvalidEvidence', {
      message: `The evidence file is invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    });
  }
  return parsed.data;
}

/**
 * Verifies one evidence item: the record is a valid audit record in canonical form; the checkpoint
 * is of the record's gateway and counts by the trust rules of offline verification
 * ({@link checkCosignedCheckpoint}: signed by the gateway's member, cosigned by the registry's
 * witness, both chaining to the anchor); the proof leads from the record's leaf hash to the
 * checkpoint's root at the checkpoint's size (RFC 9162 §2.1.3.2). Refuses with
 * `Audit.InvalidEvidence`, `Audit.InvalidCheckpoint` or `Audit.InvalidProof`, each with a message
 * naming what is wrong. `checkpoints` caches the checkpoint checks across items.
 *
 * @example
 * const trust = createSignatureTrust({ anchorsPem, intermediatesPem });
 * const { record, witnessed } = await verifyEvidenceItem(item, trust);
 */
export async function verifyEvidenceItem(
  item: EvidenceItem,
  trust: SignatureTrust,
  checkpoints?: CheckpointCache,
): Promise<VerifiedEvidence> {
  const record = readCanonicalRecord(item.record);
  const leafHash = toPlainBytes(
    createHash('sha256')
      .update(new Uint8Array([0]))
      .update(item.record, 'utf8')
      .digest(),
  );
  let checked = checkpoints?.get(item.checkpoint, item.cosignature);
  if (!checked) {
    checked = checkCheckpointOf(item, trust);
    checkpoints?.set(item.checkpoint, item.cosignature, checked);
  }
  const witnessed = await checked;
  if (witnessed.log.gatewayId !== record.gateway) {
    throw new EinmalError('Audit.InvalidCheckpoint', {
      message: `the checkpoint is of the log of ${witnessed.log.gatewayId}, not of ${record.gateway}`,
    });
  }
  if (witnessed.checkpoint.size !== item.treeSize) {
    throw new EinmalError('Audit.InvalidProof', {
      message: `the proof is for a tree of ${item.treeSize} records, the checkpoint has ${witnessed.checkpoint.size}`,
    });
  }
  try {
    verifyInclusion({
      leafIndex: item.leafIndex,
      treeSize: item.treeSize,
      leafHash,
      proof: item.inclusionProof.map((hash) => hashFromBase64(hash)),
      root: hashFromBase64(witnessed.checkpoint.root),
    });
  } catch (cause) {
    throw new EinmalError('Audit.InvalidProof', {
      message: 'the record is not in the log at the checkpoint: it was changed, or the proof is wrong',
      cause,
    });
  }
  return { record, leafHash, witnessed };
}

/** The evidence's checkpoint if it counts, else `Audit.InvalidCheckpoint` naming why. */
async function checkCheckpointOf(item: EvidenceItem, trust: SignatureTrust): Promise<WitnessedCheckpoint> {
  const checked = checkCosignedCheckpoint(item, { trust });
  if (typeof checked === 'string') throw new EinmalError('Audit.InvalidCheckpoint', { message: checked });
  return checked;
}

/** The audit record a canonical text holds, or `Audit.InvalidEvidence`. */
export function readCanonicalRecord(text: string): AuditRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new EinmalError('Audit.InvalidEvidence', { message: 'the record is not JSON', cause });
  }
  // The hand-written validator decides quickly; the schema names what is wrong.
  const record = validateAuditRecord(json);
  if (!record) {
    const parsed = auditRecordSchema.safeParse(json);
    const issue = parsed.success ? undefined : parsed.error.issues[0];
    throw new EinmalError('Audit.InvalidEvidence', {
      message: `the record is not a valid audit record (${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'})`,
    });
  }
  if (!isCanonical(text, json)) {
    throw new EinmalError('Audit.InvalidEvidence', {
      message: 'the record is not in canonical form (RFC 8785)',
    });
  }
  return record;
}
