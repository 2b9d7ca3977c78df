import {
  type CheckpointCache,
  type EvidenceItem,
  type SignatureTrust,
  verifyEvidenceItem,
} from '../../audit/bundle/index.ts';
import { isEinmalError } from '../../core/index.ts';
import { hashToBase64 } from '../../protocol/index.ts';
import type { AuditRecord } from '../../schemas/index.ts';
import type { CitizenPage, CitizenRecord } from './citizen-answer.ts';

/** The outcome of checking one record against its gateway's witnessed log. */
export type RecordCheck =
  | {
      readonly status: 'verified';
      readonly evidence: EvidenceItem;
      readonly leafHash: string;
      readonly checkpoint: { readonly origin: string; readonly size: number; readonly time: string };
      /** Subject DNs of the checkpoint's signer and of the witness. */
      readonly signer: string;
      readonly witness: string;
    }
  | { readonly status: 'pending' }
  | { readonly status: 'failed'; readonly reason: string };

/** A checked record: what its gateway describes, what its log holds, and the check. */
export interface CheckedRecord {
  readonly described: CitizenRecord;
  /** The canonical record, once its proof was read (verified or not). */
  readonly logged: AuditRecord | null;
  readonly check: RecordCheck;
}

/** Fields the gateway's description and the logged record must agree on. */
function disagreement(described: CitizenRecord, logged: AuditRecord): string | null {
  const pairs: [string, unknown, unknown][] = [
    ['message id', described.messageId.toLowerCase(), logged.messageId.toLowerCase()],
    ['side', described.side, logged.side],
    ['time', Date.parse(described.time), Date.parse(logged.logTime)],
    ['client', described.agency.client, logged.client],
    ['service', described.data.service, logged.service],
    ['purpose', described.purpose?.code ?? null, logged.purpose],
    ['legal basis', described.legalBasis?.code ?? null, logged.legalBasis],
    ['official', described.official, logged.userId],
    ['case number', described.issue, logged.issue],
    ['status', described.status, logged.status],
    ['outcome', described.outcome, logged.outcome],
  ];
  const differing = pairs.find(([, a, b]) => a !== b);
  return differing ? differing[0] : null;
}

/**
 * Checks one record a gateway's citizen API returned (docs/protocol.md §12), exactly as
 * `einmal audit verify-evidence` would check its evidence: the record is in the log of that
 * gateway under a checkpoint its member signed and the witness cosigned, both chaining to the
 * anchor; and what the gateway describes is what the log holds. A record without a proof is
 * pending. A logged record about someone other than `subject` is `foreign`: never shown.
 *
 * @example
 * const checked = await checkCitizenRecord({ described, page, gatewayId, subject, trust, checkpoints });
 */
export async function checkCitizenRecord(input: {
  readonly described: CitizenRecord;
  readonly page: CitizenPage;
  readonly gatewayId: string;
  readonly subject: string;
  readonly trust: SignatureTrust;
  readonly checkpoints: CheckpointCache;
}): Promise<CheckedRecord | 'foreign'> {
  const { described } = input;
  const proof = described.proof;
  if (!proof) return { described, logged: null, check: { status: 'pending' } };
  const checkpoint = input.page.checkpoints.find((c) => c.tree === proof.tree && c.size === proof.treeSize);
  const failed = (reason: string, logged: AuditRecord | null = null): CheckedRecord => ({
    described,
    logged,
    check: { status: 'failed', reason },
  });
  if (!checkpoint) return failed('the checkpoint the proof leads to is missing');
  const evidence: EvidenceItem = {
    record: proof.record,
    leafIndex: proof.leafIndex,
    treeSize: proof.treeSize,
    inclusionProof: proof.proof,
    checkpoint: checkpoint.jws,
    cosignature: checkpoint.cosignature,
  };
  try {
    const verified = await verifyEvidenceItem(evidence, input.trust, input.checkpoints);
    const logged = verified.record;
    if (logged.subject !== input.subject) return 'foreign';
    if (logged.gateway !== input.gatewayId)
      return failed('the record is from the log of another gateway', logged);
    const differs = disagreement(described, logged);
    if (differs) return failed(`the gateway describes the ${differs} differently from its log`, logged);
    const { checkpoint: signed, signer, witness } = verified.witnessed;
    return {
      described,
      logged,
      check: {
        status: 'verified',
        evidence,
        leafHash: hashToBase64(verified.leafHash),
        checkpoint: { origin: signed.origin, size: signed.size, time: signed.time },
        signer: signer.chain[0]?.subject ?? '',
        witness: witness.chain[0]?.subject ?? '',
      },
    };
  } catch (error) {
    if (!isEinmalError(error)) throw error;
    const logged = readLogged(proof.record);
    if (logged && logged.subject !== input.subject) return 'foreign';
    return failed(error.message, logged);
  }
}

/** The logged record of a proof that failed, when it is at least readable (for display). */
function readLogged(text: string): AuditRecord | null {
  try {
    const value = JSON.parse(text) as AuditRecord;
    return typeof value === 'object' && value !== null && typeof value.subject === 'string' ? value : null;
  } catch {
    return null;
  }
}
