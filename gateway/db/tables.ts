import type { ColumnType, Generated } from 'kysely';
import type { AuditTreeTables } from '../../audit/index.ts';

/** Hand-written table types of the gateway's own schema. */
export interface GatewayDb extends AuditTreeTables {
  access_rule: AccessRuleTable;
  local_group_member: LocalGroupMemberTable;
  is_certificate: IsCertificateTable;
  audit_record: AuditRecordTable;
  checkpoint: CheckpointTable;
  message_id_claim: MessageIdClaimTable;
}

export interface AccessRuleTable {
  id: Generated<number>;
  subject: string;
  service: string;
  method: string | null;
  path_pattern: string | null;
  /** Whether the rule also lets its subject hide its accesses from the data subject for a while. */
  may_hide: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: ColumnType<Date, never, never>;
}

export interface LocalGroupMemberTable {
  group_code: string;
  member: string;
}

/** Client TLS certificates of the agency information systems this gateway serves. */
export interface IsCertificateTable {
  fingerprint: string;
  client: string;
  created_at: ColumnType<Date, never, never>;
}

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

/** The X-Road-Ids this gateway has sent, so none is sent twice (by any node of the gateway). */
export interface MessageIdClaimTable {
  message_id: string;
  client: string;
  claimed_at: ColumnType<Date, never, never>;
}
