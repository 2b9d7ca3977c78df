import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../tests/support/database.ts';
import { type Database, migrateToLatest } from './index.ts';

const migrations = {
  '0001_notes': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('note')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('size', 'int8', (c) => c.notNull())
        .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
  },
};

describe('database', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.close());

  it('applies migrations once, inside the component schema', async () => {
    expect(await migrateToLatest(database.db, { schema: 'notes', migrations })).toEqual(['0001_notes']);
    expect(await migrateToLatest(database.db, { schema: 'notes', migrations })).toEqual([]);
    const db = database.db.withSchema('notes');
    await db.insertInto('note').values({ text: 'hello', size: 9_007_199_254 }).execute();
    const row = await db.selectFrom('note').selectAll().executeTakeFirstOrThrow();
    expect(row.text).toBe('hello');
    expect(row.size).toBe(9_007_199_254);
    expect(row.at).toBeInstanceOf(Date);
    const other = await sql<{ n: number }>`select count(*)::int8 as n from notes.note`.execute(database.db);
    expect(other.rows[0]?.n).toBe(1);
  });

  it('refuses a schema that a newer version migrated further (docs/operations.md, upgrades)', async () => {
    const newer = {
      ...migrations,
      '0002_tags': {
        async up(db: Kysely<any>) {
          await db.schema.createTable('tag').addColumn('name', 'text').execute();
        },
      },
    };
    expect(await migrateToLatest(database.db, { schema: 'versions', migrations: newer })).toEqual([
      '0001_notes',
      '0002_tags',
    ]);
    await expect(migrateToLatest(database.db, { schema: 'versions', migrations })).rejects.toThrow(
      /0002_tags/,
    );
  });

  it('keeps concurrent transactions apart', async () => {
    const db = database.db.withSchema('notes');
    const failing = db.transaction().execute(async (trx) => {
      await trx.insertInto('note').values({ text: 'rolled back', size: 1 }).execute();
      throw new Error('abort');
    });
    const passing = db.transaction().execute(async (trx) => {
      await trx.insertInto('note').values({ text: 'kept', size: 2 }).execute();
    });
    await expect(failing).rejects.toThrow('abort');
    await passing;
    const texts = (await db.selectFrom('note').select('text').orderBy('id').execute()).map((r) => r.text);
    expect(texts).toEqual(['hello', 'kept']);
  });
});
