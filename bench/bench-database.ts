import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface BenchDatabase {
  /** URL of the fresh database. */
  readonly url: string;
  readonly name: string;
  /** PostgreSQL server version and the commit durability in force (`synchronous_commit`). */
  readonly server: { readonly version: string; readonly synchronousCommit: string; readonly fsync: string };
  drop(): Promise<void>;
}

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a fresh database for one benchmark run on the PostgreSQL server `serverUrl` names, and
 * reads the server settings that decide how durable a commit is.
 */
export async function createBenchDatabase(serverUrl: string): Promise<BenchDatabase> {
  const name = `einmal_bench_${randomBytes(6).toString('hex')}`;
  const server = await withClient(serverUrl, async (client) => {
    await client.query(`create database ${name}`);
    const setting = async (key: string) =>
      (await client.query<{ value: string }>(`select current_setting($1) as value`, [key])).rows[0]!.value;
    return {
      version: await setting('server_version'),
      synchronousCommit: await setting('synchronous_commit'),
      fsync: await setting('fsync'),
    };
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    server,
    drop: () =>
      withClient(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`)).then(
        () => {},
      ),
  };
}
