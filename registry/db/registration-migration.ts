import { type Kysely, type Migration, sql } from 'kysely';

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
