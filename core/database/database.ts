import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import {
  Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
  sql,
} from 'kysely';
import pg from 'pg';
import { EinmalError } from '../errors/index.ts';
import { preparedStatementName } from './prepared-statements.ts';

/** Where a service keeps its data: a PostgreSQL server, or an embedded PGlite database. */
export interface DatabaseSettings {
  /** `postgres://...`; when absent, an embedded PGlite database is used. */
  readonly url?: string | undefined;
  /** PGlite data directory; when absent (and no url), the database lives in memory. */
  readonly dataDir?: string | undefined;
  /** Connection pool size for PostgreSQL. */
  readonly poolSize?: number | undefined;
}

export interface Database {
  /** The unscoped handle; components scope it with `db.withSchema(name)`. */
  readonly db: Kysely<any>;
  readonly kind: 'postgres' | 'pglite';
  /** How the connection pool is used right now (for the metrics of `core/ops`). */
  poolUse(): PoolUse;
  close(): Promise<void>;
}

/** Connections of a pool: its size, those open, those idle, and callers waiting for one. */
export interface PoolUse {
  readonly max: number;
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** 64-bit counters (log sizes, versions) stay exact up to 2^53, far beyond any log we keep. */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (value: string) => Number(value);
    if (oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

/**
 * Opens the database a service is configured for.
 *
 * @example
 * const { db, close } = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR });
 */
export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  if (settings.url) {
    const pool = new pg.Pool({
      connectionString: settings.url,
      max: settings.poolSize ?? 10,
      types: pgTypes,
    });
    // An idle client losing its server (PostgreSQL restarted) must not crash the process.
    pool.on('error', () => {});
    // Nor a checked-out one between two queries (e.g. inside a transaction): pg emits 'error' on the
    // client, and without a listener that is an uncaught exception. Its next query fails instead,
    // and the pool drops it on release because it is no longer queryable.
    pool.on('connect', (client) => {
      client.on('error', () => {});
    });
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: withPreparedStatements(pool) }) });
    const max = settings.poolSize ?? 10;
    return {
      db,
      kind: 'postgres',
      poolUse: () => ({ max, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      close: () => db.destroy(),
    };
  }
  if (settings.dataDir) mkdirSync(settings.dataDir, { recursive: true });
  const pglite = await PGlite.create(settings.dataDir ? { dataDir: settings.dataDir } : {});
  await pglite.exec(`set time zone 'UTC'`);
  const embedded = createPgliteInterface(pglite);
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: embedded }) });
  return { db, kind: 'pglite', poolUse: () => embedded.use(), close: () => db.destroy() };
}

/**
 * The pool as kysely's driver sees it: statements registered with `prepareOnServer` go out as named
 * statements (pg prepares each once per connection), every other one as before.
 */
function withPreparedStatements(pool: pg.Pool): PostgresPool {
  return {
    async connect() {
      const client = await pool.connect();
      return {
        query: ((text: unknown, values?: unknown[]) => {
          // kysely passes a cursor object only when configured with one; this driver has none.
          if (typeof text !== 'string') return client.query(text as never);
          const name = preparedStatementName(text);
          return name === undefined ? client.query(text, values) : client.query({ name, text, values });
        }) as unknown as PostgresPoolClient['query'],
        release: () => client.release(),
      };
    },
    end: () => pool.end(),
  };
}

/**
 * PGlite is one connection; kysely's Postgres driver expects a pool. This pool hands out that one
 * connection to one holder at a time, so a transaction's statements never interleave with another's.
 */
function createPgliteInterface(pglite: PGlite): PostgresPool & { use(): PoolUse } {
  let tail: Promise<void> = Promise.resolve();
  let closed = false;
  /** Holders of the one connection and those queued for it. */
  let holdersAndWaiting = 0;
  const client = (release: () => void): PostgresPoolClient => ({
    // kysely only passes cursors when configured with one; this pool has none.
    query: (async <R>(text: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>> => {
      const result = await pglite.query<R>(text, parameters as unknown[], { rowMode: 'object' });
      const command = (/^\s*(\w+)/.exec(text)?.[1] ?? 'SELECT').toUpperCase();
      return {
        command: command as PostgresQueryResult<R>['command'],
        rowCount: result.affectedRows ?? result.rows.length,
        rows: result.rows,
      };
    }) as PostgresPoolClient['query'],
    release,
  });
  return {
    async connect() {
      if (closed) throw new Error('database closed');
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const previous = tail;
      tail = previous.then(() => held);
      holdersAndWaiting += 1;
      await previous;
      return client(() => {
        holdersAndWaiting -= 1;
        release();
      });
    },
    use: () => ({
      max: 1,
      total: 1,
      idle: holdersAndWaiting === 0 ? 1 : 0,
      waiting: Math.max(0, holdersAndWaiting - 1),
    }),
    async end() {
      closed = true;
      await tail;
      await pglite.close();
    },
  };
}

/** The migrations of one component, applied in name order, each recorded in its own table. */
export interface MigrationSet {
  /** Component name, e.g. `registry`; names the PostgreSQL schema and the migration table. */
  readonly schema: string;
  readonly migrations: Record<string, Migration>;
}

/**
 * Creates the component's schema if needed and applies its pending migrations, in name order.
 * Returns the names of the migrations it applied (none when the schema was current). The handle
 * passed in is not changed: scope it to the schema yourself.
 *
 * @example
 * const applied = await migrateToLatest(database.db, registryMigrations);
 * const db = database.db.withSchema(registryMigrations.schema) as Kysely<RegistryDb>;
 */
export async function migrateToLatest(db: Kysely<any>, set: MigrationSet): Promise<string[]> {
  await sql`create schema if not exists ${sql.id(set.schema)}`.execute(db);
  const provider: MigrationProvider = { getMigrations: async () => set.migrations };
  const migrator = new Migrator({
    db: db.withSchema(set.schema),
    provider,
    migrationTableSchema: set.schema,
    migrationTableName: 'migration',
    migrationLockTableName: 'migration_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new EinmalError('Server.InternalError', {
      // No failed migration: the schema was refused as it is, e.g. migrated by a newer version.
      message: failed
        ? `Migration ${set.schema}/${failed} failed`
        : `The ${set.schema} schema cannot be migrated: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Whether the database answers; used by `/readyz`. */
export async function isDatabaseReachable(db: Kysely<any>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the database takes writes: it answers and is not read-only (a standby, or read-only
 * transactions by default); used by `/readyz` for "the log is writable".
 */
export async function isDatabaseWritable(db: Kysely<any>): Promise<boolean> {
  try {
    const { rows } = await sql<{ transaction_read_only: string }>`show transaction_read_only`.execute(db);
    return rows[0]?.transaction_read_only === 'off';
  } catch {
    return false;
  }
}
