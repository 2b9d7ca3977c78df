import { type ColumnType, type Generated, type Kysely, type Migration, sql } from 'kysely';
import type { RegistryDb } from './db/index.ts';

/**
 * The latest checkpoint the witness countersigned for one log (gateway node), DESIGN.md §11.
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

/** The registry's tables plus the witness's. */
export interface WitnessDb extends RegistryDb {
  witnessed_checkpoint: WitnessedCheckpointTable;
  witness_checkpoint: WitnessCheckpointTable;
  witness_fork: WitnessForkTable;
}

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
