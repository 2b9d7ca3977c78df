import { type Kysely, sql } from 'kysely';
import { type MigrationSet, rewriteServiceIds } from '../../core/database/index.ts';
import { registrationMigration } from './registration-migration.ts';
import { witnessHistoryMigration, witnessMigration } from './witness-migrations.ts';

/**
 * The registry's migrations, applied into PostgreSQL schema `registry`. Landed migrations are never
 * edited; a change is a new migration.
 *
 * @example
 * await migrateToLatest(database.db, registryMigrations);
 * const db = database.db.withSchema(registryMigrations.schema) as Kysely<RegistryDb>;
 */
export const registryMigrations: MigrationSet = {
  schema: 'registry',
  migrations: {
    '0001_registry': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('directory_version')
          .addColumn('id', 'int4', (c) => c.primaryKey().check(sql`id = 1`))
          .addColumn('version', 'int8', (c) => c.notNull())
          .execute();
        await db.insertInto('directory_version').values({ id: 1, version: 1 }).execute();

        await db.schema
          .createTable('member')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
          .execute();
        await db.schema
          .createTable('subsystem')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('member_id', 'text', (c) => c.notNull().references('member.id'))
          .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
          .execute();
        await db.schema
          .createTable('gateway')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('member_id', 'text', (c) => c.notNull().references('member.id'))
          .addColumn('address', 'text', (c) => c.notNull())
          .addColumn('auth_cert_fingerprints', 'jsonb', (c) => c.notNull())
          .addColumn('clients', 'jsonb', (c) => c.notNull())
          .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
          .execute();
        await db.schema
          .createTable('service')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('subsystem_id', 'text', (c) => c.notNull().references('subsystem.id'))
          .addColumn('title', 'text', (c) => c.notNull())
          .addColumn('description', 'text', (c) => c.notNull())
          .addColumn('personal_data', 'boolean', (c) => c.notNull())
          .addColumn('required_loa', 'text')
          .addColumn('eid_scope', 'text')
          .addColumn('purposes', 'jsonb', (c) => c.notNull())
          .addColumn('legal_bases', 'jsonb', (c) => c.notNull())
          .addColumn('hideable', 'boolean', (c) => c.notNull())
          .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
          .execute();
        await db.schema
          .createTable('global_group')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('description', 'text', (c) => c.notNull())
          .addColumn('members', 'jsonb', (c) => c.notNull())
          .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
          .execute();
        await db.schema
          .createTable('eid_issuer')
          .addColumn('issuer', 'text', (c) => c.primaryKey())
          .addColumn('jwks_uri', 'text')
          .addColumn('jwks', 'jsonb')
          .addColumn('acr', 'jsonb', (c) => c.notNull())
          .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
          .execute();
        await db.schema
          .createTable('approved_ca')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('certificate', 'text', (c) => c.notNull())
          .addColumn('fingerprint', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
          .execute();
        await db.schema
          .createTable('revocation')
          .addColumn('issuer', 'text', (c) => c.notNull())
          .addColumn('serial_number', 'text', (c) => c.notNull())
          .addColumn('revoked_at', 'timestamptz', (c) => c.notNull())
          .addColumn('seq', 'bigserial', (c) => c.notNull())
          .addPrimaryKeyConstraint('revocation_pk', ['issuer', 'serial_number'])
          .execute();
      },
    },
    '0100_registrations': registrationMigration,
    '0200_witness': witnessMigration,
    '0300_witness_history': witnessHistoryMigration,
    // The portal (docs/protocol.md §12) finds each gateway's public listener in the directory, and learns
    // which eID issuers may assert staff roles such as `auditor`.
    '0310_portal': {
      async up(db: Kysely<any>) {
        await db.schema.alterTable('gateway').addColumn('public_address', 'text').execute();
        await db.schema.alterTable('eid_issuer').addColumn('roles', 'jsonb').execute();
      },
    },
    // Service ids have X-Road's five parts, the version in the service code (docs/protocol.md §1.1):
    // `…/register/address/v1` becomes `…/register/address-v1`. A new directory version follows
    // when a service was renamed.
    '0400_xroad_service_ids': {
      async up(db: Kysely<any>) {
        if ((await rewriteServiceIds(db, 'service', 'id')) === 0) return;
        await db
          .updateTable('directory_version')
          .set({ version: sql`version + 1` })
          .where('id', '=', 1)
          .execute();
      },
    },
  },
};
