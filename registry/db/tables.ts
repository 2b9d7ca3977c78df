import type { ColumnType, Generated } from 'kysely';

/** jsonb columns are written as JSON text and read back parsed. */
type Json<T> = ColumnType<T, string, string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

/** The one row counting changes; its `version` is the directory version. */
export interface DirectoryVersionTable {
  id: ColumnType<number, number, never>;
  version: number;
}

/** A member organisation, `INSTANCE/CLASS/MEMBER`. */
export interface MemberTable {
  id: string;
  name: string;
  created_at: CreatedAt;
}

/** A member's information system, `INSTANCE/CLASS/MEMBER/SUBSYSTEM`. */
export interface SubsystemTable {
  id: string;
  member_id: string;
  created_at: CreatedAt;
}

/** A security gateway, `INSTANCE/CLASS/MEMBER/SERVERCODE`. */
export interface GatewayTable {
  id: string;
  member_id: string;
  address: string;
  /** The public listener's base URL (citizen and auditor APIs), when the gateway offers one. */
  public_address: ColumnType<string | null, string | null | undefined, string | null>;
  /** SHA-256 fingerprints (lowercase hex) of the gateway's TLS authentication certificates. */
  auth_cert_fingerprints: Json<string[]>;
  /** Client identifiers (members or subsystems) the gateway hosts. */
  clients: Json<string[]>;
  created_at: CreatedAt;
}

/** A purpose or legal basis a service accepts. */
export interface CodeTitle {
  code: string;
  title: string;
}

/** A service a subsystem provides, with its citizen-facing description and policy. */
export interface ServiceTable {
  id: string;
  subsystem_id: string;
  title: string;
  description: string;
  personal_data: boolean;
  required_loa: 'low' | 'substantial' | 'high' | null;
  eid_scope: string | null;
  purposes: Json<CodeTitle[]>;
  legal_bases: Json<CodeTitle[]>;
  hideable: boolean;
  created_at: CreatedAt;
}

/** A global group, `INSTANCE/CODE`, of client identifiers. */
export interface GlobalGroupTable {
  id: string;
  description: string;
  members: Json<string[]>;
  created_at: CreatedAt;
}

/** A trusted eID issuer (OIDC provider of an eID scheme). */
export interface EidIssuerTable {
  issuer: string;
  jwks_uri: string | null;
  jwks: Json<{ keys: Record<string, unknown>[] } | null>;
  /** Accepted `acr` values mapped to eIDAS levels. */
  acr: Json<Record<string, 'low' | 'substantial' | 'high'>>;
  /** Staff roles the issuer may assert (`auditor`); null for citizens' eID issuers. */
  roles: ColumnType<'auditor'[] | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
}

/** An approved issuing CA. */
export interface ApprovedCaTable {
  name: string;
  /** PEM. */
  certificate: string;
  /** SHA-256 of the DER certificate, lowercase hex. */
  fingerprint: string;
  created_at: CreatedAt;
}

/** A revoked certificate, named by its issuer DN and serial number. */
export interface RevocationTable {
  issuer: string;
  /** Lowercase hex, no leading zeros beyond what the certificate carries. */
  serial_number: string;
  revoked_at: ColumnType<Date, Date | string, Date | string>;
  seq: Generated<number>;
}

/** The registry's tables, in PostgreSQL schema `registry`. */
export interface RegistryDb {
  directory_version: DirectoryVersionTable;
  member: MemberTable;
  subsystem: SubsystemTable;
  gateway: GatewayTable;
  service: ServiceTable;
  global_group: GlobalGroupTable;
  eid_issuer: EidIssuerTable;
  approved_ca: ApprovedCaTable;
  revocation: RevocationTable;
}
