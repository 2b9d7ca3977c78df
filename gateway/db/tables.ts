import type { ColumnType, Generated } from 'kysely';
import type { AuditLogTables } from '../../audit/index.ts';

/** Hand-written table types of the gateway's own schema. */
export interface GatewayDb extends AuditLogTables {
  access_rule: AccessRuleTable;
  local_group_member: LocalGroupMemberTable;
  is_certificate: IsCertificateTable;
  message_id_claim: MessageIdClaimTable;
  served_message: ServedMessageTable;
}

/**
 * The message ids served (records with outcome `ok`), one row per id and side, written by a
 * trigger with each record: a replay, on any node, fails on its primary key.
 */
export interface ServedMessageTable {
  message_id: string;
  side: 'consumer' | 'provider';
  served_at: Date;
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

/** The X-Road-Ids this gateway has sent, so none is sent twice (by any node of the gateway). */
export interface MessageIdClaimTable {
  message_id: string;
  client: string;
  claimed_at: ColumnType<Date, never, never>;
}
