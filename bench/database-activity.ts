import pg from 'pg';

/**
 * What the database server did during one soak window, per exchange where that is a rate: the
 * write-ahead log it wrote, how much of it was full-page images (the first change of a page after a
 * checkpoint is logged whole, so the more distinct pages inserts touch, the more there are), the
 * checkpoints and autovacuum passes that ran, and how large the benchmark's database had grown.
 * Server-wide counters: they assume the benchmark has the server to itself, as it does.
 */
export interface DatabaseWindow {
  readonly sizeMB: number;
  readonly walKBPerExchange: number;
  readonly fullPageImagesPerExchange: number;
  readonly checkpoints: number;
  readonly autovacuums: number;
}

interface Counters {
  readonly sizeBytes: number;
  readonly walBytes: number;
  readonly fullPageImages: number;
  readonly checkpoints: number;
  readonly autovacuums: number;
}

/** Reads the counters of the benchmark database `url` at the end of each window and gives the difference. */
export async function databaseActivity(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const version = Number((await client.query<{ v: string }>('show server_version_num')).rows[0]!.v);
  // PostgreSQL 17 moved the checkpoint counters from pg_stat_bgwriter to pg_stat_checkpointer.
  const checkpoints =
    version >= 170000
      ? 'select num_timed + num_requested as n from pg_stat_checkpointer'
      : 'select checkpoints_timed + checkpoints_req as n from pg_stat_bgwriter';
  const read = async (): Promise<Counters> => {
    // One client answers one query at a time.
    const size = await client.query<{ n: string }>('select pg_database_size(current_database()) as n');
    const wal = await client.query<{ bytes: string; fpi: string }>(
      'select wal_bytes as bytes, wal_fpi as fpi from pg_stat_wal',
    );
    const done = await client.query<{ n: string }>(checkpoints);
    const vacuums = await client.query<{ n: string }>(
      'select coalesce(sum(autovacuum_count), 0) as n from pg_stat_user_tables',
    );
    return {
      sizeBytes: Number(size.rows[0]!.n),
      walBytes: Number(wal.rows[0]!.bytes),
      fullPageImages: Number(wal.rows[0]!.fpi),
      checkpoints: Number(done.rows[0]!.n),
      autovacuums: Number(vacuums.rows[0]!.n),
    };
  };
  // Statistics are read within a transaction's snapshot unless told otherwise; each window wants now.
  await client.query("set stats_fetch_consistency = 'none'").catch(() => {});
  let last = await read();
  return {
    /** The window since the last call, for the `exchanges` sent in it (each writes its records). */
    async window(exchanges: number): Promise<DatabaseWindow> {
      const now = await read();
      const per = (delta: number) => (exchanges > 0 ? delta / exchanges : 0);
      const window = {
        sizeMB: now.sizeBytes / 2 ** 20,
        walKBPerExchange: per(now.walBytes - last.walBytes) / 1024,
        fullPageImagesPerExchange: per(now.fullPageImages - last.fullPageImages),
        checkpoints: now.checkpoints - last.checkpoints,
        autovacuums: now.autovacuums - last.autovacuums,
      };
      last = now;
      return window;
    },
    close: () => client.end(),
  };
}
