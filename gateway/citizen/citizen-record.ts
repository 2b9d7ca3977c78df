import type { Kysely } from 'kysely';
import { getInclusionProofs } from '../../audit/index.ts';
import { hashToBase64 } from '../../protocol/index.ts';
import {
  currentServiceId,
  type Directory,
  type DirectoryService,
  memberOfPrinted,
} from '../../schemas/index.ts';
import {
  type AuditRecordRow,
  canonicalText,
  latestWitnessedCheckpoints,
  storedRecord,
} from '../audit/record-query.ts';
import type { GatewayDb } from '../db/tables.ts';

/** A code with the title the directory gives it (`null` title when the directory lost it). */
export interface TitledCode {
  readonly code: string;
  readonly title: string | null;
}

/**
 * An inclusion proof (RFC 9162 §2.1.3) of the record in the tree of the checkpoint `tree`/`treeSize`,
 * hashes in standard base64. `record` is the canonical JSON that `leafHash` covers:
 * leafHash = SHA-256(0x00 ‖ UTF-8(record)).
 */
export interface CitizenProof {
  readonly tree: string;
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly leafHash: string;
  readonly proof: string[];
  readonly record: string;
}

/** A witnessed checkpoint the proofs of a page refer to. */
export interface WitnessedCheckpoint {
  readonly tree: string;
  readonly size: number;
  readonly root: string;
  readonly time: string;
  /** The gateway node's signed checkpoint (compact JWS). */
  readonly jws: string;
  /** The witness's cosignature (compact JWS). */
  readonly cosignature: string;
}

/** One access to a citizen's data as the citizen sees it (docs/protocol.md §12.1). */
export interface CitizenRecord {
  readonly messageId: string;
  readonly side: 'consumer' | 'provider';
  readonly time: string;
  /** The agency that asked: its member id, name and the information system (client). */
  readonly agency: {
    readonly member: string | null;
    readonly name: string | null;
    readonly client: string | null;
  };
  /** Which data: the service and its title for citizens. */
  readonly data: { readonly service: string | null; readonly title: string | null };
  readonly purpose: TitledCode | null;
  readonly legalBasis: TitledCode | null;
  readonly consentReference: string | null;
  /** The official who acted (`X-Road-UserId`), when one was named. */
  readonly official: string | null;
  /** The case number (`X-Road-Issue`). */
  readonly issue: string | null;
  readonly status: number;
  readonly outcome: 'ok' | 'rejected' | 'failed';
  /** Set when the record was hidden until this time; it is shown only once that time has passed. */
  readonly hiddenUntil: string | null;
  readonly hiddenReason: string | null;
  /** `null` while the record is newer than the latest witnessed checkpoint (pending). */
  readonly proof: CitizenProof | null;
}

const memberOf = (id: string | null): string | null => (id ? memberOfPrinted(id) : null);

function titled(code: string | null, list: DirectoryService['purposes'] | undefined): TitledCode | null {
  if (code === null) return null;
  return { code, title: list?.find((entry) => entry.code === code)?.title ?? null };
}

/** The citizen-facing fields of stored records, with names and titles from the directory. */
export function describeRecords(rows: readonly AuditRecordRow[], directory: Directory | undefined) {
  const members = new Map(directory?.members.map((m) => [m.id, m.name]) ?? []);
  const services = new Map(directory?.services.map((s) => [s.id, s]) ?? []);
  return rows.map((row): Omit<CitizenRecord, 'proof'> => {
    const record = storedRecord(row);
    // A record of before five-part ids names its service as it was signed; its title is the same.
    const service = record.service ? services.get(currentServiceId(record.service)) : undefined;
    const member = memberOf(record.client);
    return {
      messageId: record.messageId,
      side: record.side,
      time: record.logTime,
      agency: { member, name: member ? (members.get(member) ?? null) : null, client: record.client },
      data: { service: record.service, title: service?.title ?? null },
      purpose: titled(record.purpose, service?.purposes),
      legalBasis: titled(record.legalBasis, service?.legalBases),
      consentReference: record.consentRef,
      official: record.userId,
      issue: record.issue,
      status: record.status,
      outcome: record.outcome,
      hiddenUntil: row.hidden_until ? new Date(row.hidden_until).toISOString() : null,
      hiddenReason: row.disclosure_reason ?? record.hiddenReason,
    };
  });
}

/**
 * Inclusion proofs of `rows` against the latest witnessed checkpoint of each row's tree: one
 * checkpoint query and one proof query per tree in the page (getInclusionProofs), never a tree
 * rebuild. Rows the checkpoint does not yet cover get `null`.
 */
export async function proveRecords(
  db: Kysely<GatewayDb>,
  rows: readonly AuditRecordRow[],
): Promise<{ proofs: (CitizenProof | null)[]; checkpoints: WitnessedCheckpoint[] }> {
  const trees = [...new Set(rows.map((r) => r.tree))];
  const checkpoints = await latestWitnessedCheckpoints(db, trees);
  const proofs: (CitizenProof | null)[] = rows.map(() => null);
  await Promise.all(
    trees.map(async (tree) => {
      const checkpoint = checkpoints.get(tree);
      if (!checkpoint) return;
      const positions = rows.flatMap((r, i) =>
        r.tree === tree && Number(r.idx) < checkpoint.size ? [i] : [],
      );
      if (positions.length === 0) return;
      const stored = await getInclusionProofs(
        db,
        tree,
        positions.map((i) => Number(rows[i]!.idx)),
        checkpoint.size,
      );
      positions.forEach((position, k) => {
        const proof = stored[k]!;
        proofs[position] = {
          tree,
          leafIndex: proof.leafIndex,
          treeSize: proof.treeSize,
          leafHash: hashToBase64(proof.leafHash),
          proof: proof.proof.map(hashToBase64),
          record: canonicalText(rows[position]!),
        };
      });
    }),
  );
  const used = [...checkpoints.values()].map((c) => ({
    tree: c.tree,
    size: Number(c.size),
    root: c.root,
    time: new Date(c.time).toISOString(),
    jws: c.jws,
    cosignature: c.cosignature!,
  }));
  return { proofs, checkpoints: used };
}
