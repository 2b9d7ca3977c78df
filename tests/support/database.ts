import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, openDatabase } from '../../core/index.ts';

/**
 * A fresh, empty database for one test file: a new database on the PostgreSQL server named by
 * `DATABASE_URL` (dropped again by `close`), or an in-memory PGlite database when it is unset.
 *
 * @example
 * let database: Database;
 * beforeAll(async () => { database = await createTestDatabase(); });
 * afterAll(() => database.close());
 */
export async function createTestDatabase(): Promise<Database> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return openDatabase({});
  const created = await createServerDatabase(serverUrl);
  const database = await openDatabase({ url: created.url, poolSize: 10 });
  return {
    ...database,
    async close() {
      await database.close();
      await created.drop();
    },
  };
}

/**
 * A new, empty database on the PostgreSQL server at `serverUrl`, for a test whose components run in
 * several processes and so need a real server; `drop` removes it, even with clients still connected.
 *
 * @example
 * const created = await createServerDatabase('postgres://postgres@127.0.0.1:5432/postgres');
 * await created.drop();
 */
export async function createServerDatabase(
  serverUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `einmal_test_${randomBytes(6).toString('hex')}`;
  await withAdminClient(serverUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdminClient(serverUrl, (client) =>
        client.query(`drop database if exists ${name} with (force)`),
      ).then(() => undefined),
  };
}

/** Whether the tests run against a PostgreSQL server rather than embedded PGlite. */
export const usesPostgresServer = (): boolean => Boolean(process.env.DATABASE_URL);

async function withAdminClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
