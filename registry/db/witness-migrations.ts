import { type Kysely, type Migration, sql } from 'kysely';

/** Creates the witness's table; one row per origin. */
export const witnessMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('witnessed_checkpoint')
      .addColumn('origin', 'text', (c) => c.primaryKey())
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('size', 'int8', (c) => c.notNull().check(sql`size >= 0`))
      .addColumn('root', 'text', (c) => c.notNull())
      .addColumn('time', 'timestamptz', (c) => c.notNull())
      .addColumn('checkpoint', 'text', (c) => c.notNull())
      .addColumn('cosignature', 'text', (c) => c.notNull())
      .addColumn('witnessed_at', 'timestamptz', (c) => c.notNull())
      .execute();
  },
};

const WITNESSED_COLUMNS = [
  'origin',
  'gateway_id',
  'size',
  'root',
  'time',
  'checkpoint',
  'cosignature',
  'witnessed_at',
] as const;

/**
 * Keeps every cosigned checkpoint (`witness_checkpoint`, seeded with the latest of each origin
 * already witnessed) and every refused inconsistent one (`witness_fork`), both append-only.
 */
export const witnessHistoryMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('witness_checkpoint')
      .addColumn('origin', 'text', (c) => c.notNull())
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('size', 'int8', (c) => c.notNull().check(sql`size >= 0`))
      .addColumn('root', 'text', (c) => c.notNull())
      .addColumn('time', 'timestamptz', (c) => c.notNull())
      .addColumn('checkpoint', 'text', (c) => c.notNull())
      .addColumn('cosignature', 'text', (c) => c.notNull())
      .addColumn('witnessed_at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('witness_checkpoint_pk', ['origin', 'size'])
      .execute();
    await db
      .insertInto('witness_checkpoint')
      .columns([...WITNESSED_COLUMNS])
      .expression(db.selectFrom('witnessed_checkpoint').select([...WITNESSED_COLUMNS]))
      .execute();
    await db.schema
      .createTable('witness_fork')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('origin', 'text', (c) => c.notNull())
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('code', 'text', (c) => c.notNull())
      .addColumn('size', 'int8', (c) => c.notNull())
      .addColumn('root', 'text', (c) => c.notNull())
      .addColumn('time', 'timestamptz', (c) => c.notNull())
      .addColumn('checkpoint', 'text', (c) => c.notNull())
      .addColumn('from_size', 'int8', (c) => c.notNull())
      .addColumn('consistency_proof', 'jsonb', (c) => c.notNull())
      .addColumn('witnessed_size', 'int8', (c) => c.notNull())
      .addColumn('witnessed_root', 'text', (c) => c.notNull())
      .addColumn('detected_at', 'timestamptz', (c) => c.notNull())
      .execute();
    // A gateway retries its newest checkpoint every round: one row per distinct contradiction.
    await db.schema
      .createIndex('witness_fork_once')
      .on('witness_fork')
      .columns(['origin', 'code', 'size', 'root', 'from_size', 'witnessed_size'])
      .unique()
      .execute();
    await db.schema.createIndex('witness_fork_origin').on('witness_fork').columns(['origin', 'id']).execute();
  },
};
