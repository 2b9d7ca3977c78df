import { type Kysely, sql } from 'kysely';
import { auditTreeMigrations } from '../../audit/index.ts';
import { type MigrationSet, rewriteServiceIds } from '../../core/database/index.ts';
import { ensureAuditPartitions } from '../audit/audit-partitions.ts';

/** How many months ahead the audit table has partitions (created at start and daily). */
export const AUDIT_PARTITION_MONTHS_AHEAD = 3;

/**
 * The schema a migration runs in: migrations see a handle scoped with `withSchema`, which raw SQL
 * does not follow, so the schema is read from the migration table's own catalogue entry.
 */
async function schemaOfMigrations(db: Kysely<any>): Promise<string> {
  const row = await db
    .selectFrom('migration')
    .select(
      sql<string>`(select n.nspname from pg_catalog.pg_class c join pg_catalog.pg_namespace n
        on n.oid = c.relnamespace where c.oid = migration.tableoid)`.as('schema'),
    )
    .limit(1)
    .executeTakeFirstOrThrow();
  return row.schema;
}

/** The gateway's tables; the Merkle tree's tables come from audit/ and share the schema. */
export const gatewayTableMigrations: MigrationSet['migrations'] = {
  gateway_0001_access_rules: {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('access_rule')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('method', 'text')
        .addColumn('path_pattern', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('access_rule_service').on('access_rule').column('service').execute();
      await db.schema
        .createTable('local_group_member')
        .addColumn('group_code', 'text', (c) => c.notNull())
        .addColumn('member', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('local_group_member_pk', ['group_code', 'member'])
        .execute();
      await db.schema
        .createTable('is_certificate')
        .addColumn('fingerprint', 'text', (c) => c.primaryKey())
        .addColumn('client', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
  },
  gateway_0002_audit_records: {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('audit_record')
        .addColumn('tree', 'text', (c) => c.notNull())
        .addColumn('idx', 'int8', (c) => c.notNull())
        .addColumn('log_time', 'timestamptz', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('side', 'text', (c) => c.notNull())
        .addColumn('client', 'text')
        .addColumn('service', 'text')
        .addColumn('subject', 'text')
        .addColumn('status', 'int4', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('error_code', 'text')
        .addColumn('hidden_until', 'timestamptz')
        .addColumn('canonical', 'bytea', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_record_pk', ['tree', 'idx'])
        .execute();
      await db.schema
        .createIndex('audit_record_subject')
        .on('audit_record')
        .columns(['subject', 'log_time desc'])
        .where('subject', 'is not', null)
        .execute();
      await db.schema.createIndex('audit_record_message').on('audit_record').column('message_id').execute();
      await db.schema.createIndex('audit_record_time').on('audit_record').column('log_time').execute();
      // A message id is served once: a replay that slipped past one node's memory (another node of
      // the same gateway, or a restart) fails here, before any data is released.
      await db.schema
        .createIndex('audit_record_served_once')
        .on('audit_record')
        .columns(['message_id', 'side'])
        .unique()
        .where(sql.ref('outcome'), '=', 'ok')
        .execute();
      await db.schema
        .createTable('checkpoint')
        .addColumn('tree', 'text', (c) => c.notNull())
        .addColumn('size', 'int8', (c) => c.notNull())
        .addColumn('root', 'text', (c) => c.notNull())
        .addColumn('time', 'timestamptz', (c) => c.notNull())
        .addColumn('jws', 'text', (c) => c.notNull())
        .addColumn('cosignature', 'text')
        .addPrimaryKeyConstraint('checkpoint_pk', ['tree', 'size'])
        .execute();
    },
  },
  gateway_0003_audit_disclosure: {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('audit_record')
        .addColumn('disclosure_reason', 'text')
        .addColumn('disclosed_at', 'timestamptz')
        .execute();
    },
  },
  gateway_0004_hiding_grants: {
    async up(db: Kysely<any>) {
      // Hiding an access from its subject (Einmal-Hidden-Until) is granted per access rule.
      await db.schema
        .alterTable('access_rule')
        .addColumn('may_hide', 'boolean', (c) => c.notNull().defaultTo(false))
        .execute();
    },
  },
  gateway_0005_message_id_claims: {
    async up(db: Kysely<any>) {
      // Each X-Road-Id is sent once by this gateway, whichever client, provider or node sends it.
      await db.schema
        .createTable('message_id_claim')
        .addColumn('message_id', 'uuid', (c) => c.primaryKey())
        .addColumn('client', 'text', (c) => c.notNull())
        .addColumn('claimed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
  },
  gateway_0006_xroad_service_ids: {
    async up(db: Kysely<any>) {
      // Access rules (and with them hiding grants) name services with X-Road's five parts
      // (docs/protocol.md §1.1). An audit record keeps the id it was signed with in its canonical
      // bytes, the leaf of the log's Merkle tree; only its search column takes the current form, so
      // a search by the five-part id finds the records of before too.
      await rewriteServiceIds(db, 'access_rule', 'service');
      await rewriteServiceIds(db, 'audit_record', 'service');
    },
  },
  gateway_0010_audit_partitions: {
    /**
     * The audit table partitioned by month of `log_time` (docs/operations/scaling-retention-keys.md), so that queries by time
     * read only their months and retention drops whole months. A unique index of a partitioned
     * table must hold the partition key, so "a message id is served once" moves to a table of its
     * own, `served_message`, filled by a trigger in the same statement that stores the record: a
     * replay still fails there (23505) before any data is released. Existing records are copied.
     */
    async up(db: Kysely<any>) {
      const schema = await schemaOfMigrations(db);
      const table = (name: string) => sql.id(schema, name);
      await sql`alter table ${table('audit_record')} rename to audit_record_unpartitioned`.execute(db);
      await sql`create table ${table('audit_record')}
        (like ${table('audit_record_unpartitioned')} including defaults including constraints)
        partition by range (log_time)`.execute(db);
      await sql`create table ${table('audit_record_default')} partition of ${table('audit_record')} default`.execute(
        db,
      );
      const oldest = await sql<{ oldest: Date | null }>`select min(log_time) as oldest
        from ${table('audit_record_unpartitioned')}`.execute(db);
      const now = new Date();
      const to = new Date(
        Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + AUDIT_PARTITION_MONTHS_AHEAD, 1),
      );
      await ensureAuditPartitions(db, schema, oldest.rows[0]?.oldest ?? now, to);
      await sql`insert into ${table('audit_record')} select * from ${table('audit_record_unpartitioned')}`.execute(
        db,
      );
      await db.schema
        .createTable('served_message')
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('side', 'text', (c) => c.notNull())
        .addColumn('served_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('served_message_pk', ['message_id', 'side'])
        .execute();
      await sql`insert into ${table('served_message')} (message_id, side, served_at)
        select message_id, side, log_time from ${table('audit_record_unpartitioned')} where outcome = 'ok'`.execute(
        db,
      );
      await sql`drop table ${table('audit_record_unpartitioned')}`.execute(db);
      await sql`alter table ${table('audit_record')} add constraint audit_record_pk primary key (tree, idx, log_time)`.execute(
        db,
      );
      await db.schema
        .createIndex('audit_record_subject')
        .on('audit_record')
        .columns(['subject', 'log_time desc'])
        .where('subject', 'is not', null)
        .execute();
      await db.schema.createIndex('audit_record_message').on('audit_record').column('message_id').execute();
      await db.schema.createIndex('audit_record_time').on('audit_record').column('log_time').execute();
      await db.schema.createIndex('served_message_time').on('served_message').column('served_at').execute();
      await sql`create function ${table('audit_record_served_once')}() returns trigger language plpgsql as $$
        begin
          if new.outcome = 'ok' then
            insert into ${table('served_message')} (message_id, side, served_at)
              values (new.message_id, new.side, new.log_time);
          end if;
          return null;
        end $$`.execute(db);
      await sql`create trigger audit_record_served_once after insert on ${table('audit_record')}
        for each row execute function ${table('audit_record_served_once')}()`.execute(db);
    },
  },
};

/** Every migration of the gateway's schema: the Merkle tree store first, then the gateway's tables. */
export const gatewayMigrations: MigrationSet['migrations'] = {
  ...auditTreeMigrations,
  ...gatewayTableMigrations,
};
