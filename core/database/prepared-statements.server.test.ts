import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerDatabase } from '../../tests/support/database.ts';
import { type Database, openDatabase, prepareOnServer } from './index.ts';

const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

describe('statements prepared on the server', () => {
  let created: { url: string; drop(): Promise<void> };
  let database: Database;
  beforeAll(async () => {
    created = await createServerDatabase(SERVER);
    // One connection, so every statement below runs in the session whose statements are listed.
    database = await openDatabase({ url: created.url, poolSize: 1 });
  });
  afterAll(async () => {
    await database.close();
    await created.drop();
  });

  const prepared = async () =>
    (
      await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(database.db)
    ).rows.map((row) => row.statement);

  it('prepares a registered statement once per connection and answers it as before', async () => {
    const text = 'select $1::int8 + 1 as next';
    prepareOnServer(text);
    for (const value of [1, 41]) {
      const { rows } = await database.db.executeQuery<{ next: number }>(CompiledQuery.raw(text, [value]));
      expect(rows).toEqual([{ next: value + 1 }]);
    }
    expect((await prepared()).filter((s) => s === text)).toHaveLength(1);
  });

  it('sends any other statement unprepared', async () => {
    const text = 'select $1::int8 * 2 as double';
    const { rows } = await database.db.executeQuery<{ double: number }>(CompiledQuery.raw(text, [21]));
    expect(rows).toEqual([{ double: 42 }]);
    expect(await prepared()).not.toContain(text);
  });

  it('reports a registered statement’s errors as the server gives them', async () => {
    const text = 'select 1 / $1::int as inverse';
    prepareOnServer(text);
    await expect(database.db.executeQuery(CompiledQuery.raw(text, [0]))).rejects.toThrow(/division by zero/);
    const { rows } = await database.db.executeQuery<{ inverse: number }>(CompiledQuery.raw(text, [1]));
    expect(rows).toEqual([{ inverse: 1 }]);
  });
});
