import { type Kysely, sql } from 'kysely';
import { auditTreeMigrations } from '../../audit/index.ts';
import { type MigrationSet, rewriteServiceIds } from '../../core/database/index.ts';

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
};

/** Every migration of the gateway's schema: the Merkle tree store first, then the gateway's tables. */
export const gatewayMigrations: MigrationSet['migrations'] = {
  ...auditTreeMigrations,
  ...gatewayTableMigrations,
};
