import { type ColumnType, type Kysely, type Migration, sql } from 'kysely';
import type { RegistryDb } from './db/index.ts';

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

/** The registry's tables plus registrations. */
export interface RegistrationDb extends RegistryDb {
  registration: RegistrationTable;
}

/**
 * Creates the registration table. One pending request per gateway and one request per key,
 * enforced by the database so concurrent duplicates cannot both land.
 */
export const registrationMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('registration')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('member_id', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('csr', 'text', (c) => c.notNull())
      .addColumn('request', 'text', (c) => c.notNull())
      .addColumn('auth_key_fingerprint', 'text', (c) => c.notNull().unique())
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'approved')`))
      .addColumn('submitted_at', 'timestamptz', (c) => c.notNull())
      .addColumn('approved_at', 'timestamptz')
      .addColumn('certificate', 'text')
      .execute();
    await db.schema
      .createIndex('registration_pending_gateway')
      .on('registration')
      .column('gateway_id')
      .unique()
      .where(sql.ref('status'), '=', 'pending')
      .execute();
  },
};
