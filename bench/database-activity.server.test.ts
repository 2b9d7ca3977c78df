import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createBenchDatabase } from './bench-database.ts';
import { databaseActivity } from './database-activity.ts';

describe('the database activity of a soak window', () => {
  it('counts the write-ahead log, page images, checkpoints and size the window’s writes cost', async () => {
    const database = await createBenchDatabase(
      process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    );
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const activity = await databaseActivity(database.url);
    try {
      await client.query('create table written (id int8 primary key, body text not null)');
      await client.query(
        "insert into written select x, repeat('x', 1000) from generate_series(1, 20000) as x",
      );
      await client.query('checkpoint');
      // The first change of each page after a checkpoint is logged whole.
      await client.query("update written set body = repeat('y', 1000) where id % 7 = 0");
      // A backend reports its statistics when idle, within a second; this one is made to at once.
      await client.query('select pg_stat_force_next_flush()');
      const window = await activity.window(1000);
      expect(window.walKBPerExchange).toBeGreaterThan(20);
      expect(window.fullPageImagesPerExchange).toBeGreaterThan(0.5);
      expect(window.checkpoints).toBeGreaterThanOrEqual(1);
      expect(window.sizeMB).toBeGreaterThan(20);
      expect(window.autovacuums).toBeGreaterThanOrEqual(0);
      // Each window counts from the end of the last one.
      const quiet = await activity.window(1000);
      expect(quiet.walKBPerExchange).toBeLessThan(window.walKBPerExchange / 2);
    } finally {
      await activity.close();
      await client.end();
      await database.drop();
    }
  });
});
