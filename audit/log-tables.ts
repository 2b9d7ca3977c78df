import type { ColumnType } from 'kysely';
import type { AuditTreeTables } from './tree-store.ts';

/**
 * One row per audit record; `idx` is its leaf index in this node's Merkle tree. The canonical bytes
 * are what the leaf hash covers; the other columns are copies for queries.
 */
export interface AuditRecordTable {
  /** The log tree (gateway node) the record belongs to. */
  tree: string;
  idx: number;
  log_time: Date;
  message_id: string;
  side: 'consumer' | 'provider';
  client: string | null;
  service: string | null;
  subject: string | null;
  status: number;
  outcome: 'ok' | 'rejected' | 'failed';
  error_code: string | null;
  /**
   * Until when the record is hidden from its subject: what the client declared, or earlier once the
   * data controller disclosed it (`POST /v3/disclose`); the canonical record keeps the declaration.
   */
  hidden_until: Date | null;
  canonical: Uint8Array;
  /** The reason the data controller gave when disclosing the record. */
  disclosure_reason: ColumnType<string | null, string | null | undefined, string | null>;
  disclosed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** Signed checkpoints of this node's log, with the witness's cosignature once it has one. */
export interface CheckpointTable {
  tree: string;
  size: number;
  root: string;
  time: Date;
  jws: string;
  cosignature: string | null;
}

/**
 * The tables of one gateway database's log, declared once: the Merkle tree (tree-store), the
 * records and the checkpoints. The gateway creates them (gateway/db/migrations.ts); the exporter and
 * the gateway's log readers use them.
 */
export interface AuditLogTables extends AuditTreeTables {
  audit_record: AuditRecordTable;
  checkpoint: CheckpointTable;
}
