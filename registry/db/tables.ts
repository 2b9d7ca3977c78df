import type { ColumnType, Generated } from 'kysely';
import type { CodeTitle, LevelOfAssurance } from '../../schemas/index.ts';

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

/** A service a subsystem provides, with its citizen-facing description and policy. */
export interface ServiceTable {
  id: string;
  subsystem_id: string;
  title: string;
  description: string;
  personal_data: boolean;
  required_loa: LevelOfAssurance | null;
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
  acr: Json<Record<string, LevelOfAssurance>>;
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
  registration: RegistrationTable;
  witnessed_checkpoint: WitnessedCheckpointTable;
  witness_checkpoint: WitnessCheckpointTable;
  witness_fork: WitnessForkTable;
}

/** Where a gateway registration request stands. */
export type RegistrationStatus = 'pending' | 'approved';

/** A gateway's registration request (X-Road pr-mserv), kept as evidence after approval. */
export interface RegistrationTable {
  id: string;
  gateway_id: string;
  member_id: string;
  address: string;
  /** PEM CSR of the gateway's authentication key. */
  csr: string;
  /** The doubly signed request as submitted. */
  request: string;
  /** SHA-256 of the authentication key's SubjectPublicKeyInfo: one registration per key. */
  auth_key_fingerprint: string;
  status: RegistrationStatus;
  submitted_at: ColumnType<Date, Date | string, never>;
  approved_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  /** The issued authentication certificate (PEM), once approved. */
  certificate: string | null;
}

/**
 * The latest checkpoint the witness countersigned for one log (gateway node), docs/protocol.md §11.3.
 * Each accepted checkpoint replaces the row; the size never shrinks. The row is also the lock that
 * puts two submissions for one origin in order. Every cosigned checkpoint is kept in
 * {@link WitnessCheckpointTable}.
 */
export interface WitnessedCheckpointTable {
  /** The checkpoint's `origin`: the gateway id, optionally with `#node`. */
  origin: string;
  /** The registered gateway the origin belongs to. */
  gateway_id: string;
  size: ColumnType<number, number, number>;
  /** Base64 MTH of the first `size` records. */
  root: string;
  /** The checkpoint's own `time`. */
  time: ColumnType<Date, Date | string, Date | string>;
  /** The gateway's checkpoint JWS as submitted. */
  checkpoint: string;
  /** The witness's cosignature JWS over the same payload. */
  cosignature: string;
  witnessed_at: ColumnType<Date, Date | string, Date | string>;
}

/** Every checkpoint the witness countersigned, per origin and size; rows are only inserted. */
export type WitnessCheckpointTable = WitnessedCheckpointTable;

/**
 * A signed checkpoint the witness refused because it contradicts what it had witnessed for the
 * origin (`Witness.Fork`, `Witness.LogShrunk`, `Witness.InconsistentCheckpoint`): the member's own
 * signature over a log that is not the one it signed before. Rows are only inserted.
 */
export interface WitnessForkTable {
  id: Generated<string>;
  origin: string;
  gateway_id: string;
  /** The refusal's error code. */
  code: string;
  size: ColumnType<number, number, number>;
  root: string;
  time: ColumnType<Date, Date | string, Date | string>;
  /** The refused checkpoint JWS as submitted (signed by the gateway's member). */
  checkpoint: string;
  from_size: ColumnType<number, number, number>;
  /** The submitted consistency proof, base64 hashes. */
  consistency_proof: ColumnType<string[], string, string>;
  /** The witnessed checkpoint it contradicts (see `witness_checkpoint` for its signatures). */
  witnessed_size: ColumnType<number, number, number>;
  witnessed_root: string;
  detected_at: ColumnType<Date, Date | string, Date | string>;
}
