import { setTimeout } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { localPostgresServer, readCpuSeconds } from './process-stats.ts';

describe('the local PostgreSQL server, sampled for CPU', () => {
  it('counts the CPU a query costs the server', async () => {
    const server = localPostgresServer();
    const client = new pg.Client({
      connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    });
    await client.connect();
    try {
      const before = await server.cpuSeconds();
      // About half a second of one backend's CPU.
      await client.query('select sum(sqrt(x)) from generate_series(1, 8000000) as x');
      const after = await server.cpuSeconds();
      expect(before).toBeTypeOf('number');
      expect(after! - before!).toBeGreaterThan(0.2);
    } finally {
      await client.end();
    }
  });

  it('keeps counting the CPU of a backend that has exited (a pool closing an idle connection)', async () => {
    const server = localPostgresServer();
    const client = new pg.Client({
      connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    });
    await client.connect();
    const backend = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const before = await server.cpuSeconds();
    await client.query('select sum(sqrt(x)) from generate_series(1, 8000000) as x');
    await client.end();
    // The backend is gone once /proc no longer lists it.
    for (let i = 0; i < 100 && (await readCpuSeconds(backend)) !== undefined; i++) await setTimeout(20);
    expect(await readCpuSeconds(backend)).toBeUndefined();
    const after = await server.cpuSeconds();
    expect(after! - before!).toBeGreaterThan(0.2);
  });
});
