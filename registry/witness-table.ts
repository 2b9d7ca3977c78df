import { type ColumnType, type Kysely, type Migration, sql } from 'kysely';
import type { RegistryDb } from './db/index.ts';

/**
 * The latest checkpoint the witness countersigned for one log (gateway node), DESIGN.md §11.
 * Each accepted checkpoint replaces the row; the size never shrinks.
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

/** The registry's tables plus witnessed checkpoints. */
export interface WitnessDb extends RegistryDb {
  witnessed_checkpoint: WitnessedCheckpointTable;
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
