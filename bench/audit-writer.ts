/**
 * `npm run bench:audit-writer`: throughput of the gateway's group-commit audit writer on its own,
 * against a fresh database on the PostgreSQL server named by DATABASE_URL. For 1, 8 and 64
 * concurrent exchanges each appending records back to back, prints records/s, the writer's own
 * CPU per record and the PostgreSQL server's (all its processes on this machine, when it runs here).
 *
 *   npm run bench:audit-writer -- [--seconds 4]
 */
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { migrateToLatest, openDatabase } from '../core/database/index.ts';
import { silentLogger } from '../core/index.ts';
import { createAuditLog } from '../gateway/audit/audit-log.ts';
import { gatewayMigrations } from '../gateway/db/migrations.ts';
import type { GatewayDb } from '../gateway/db/tables.ts';
import { createBenchDatabase } from './bench-database.ts';
import { localPostgresServer } from './process-stats.ts';
import { sampleAuditRecord } from './sample-audit-record.ts';

const TREE = 'DEMO/GOV/munich/gw1';

const settingsSchema = z.object({
  seconds: z.coerce.number().int().min(1).max(60).default(4),
  databaseUrl: z.string().url().default('postgres://postgres@127.0.0.1:5432/postgres'),
});

/** A consumer-side record the size of a real exchange's (digests and signatures filled in). */
const exchangeRecord = () =>
  sampleAuditRecord({
    gateway: TREE,
    issue: 'PP-2026-0815',
    legalBasis: 'de-bmg-34',
    requestDigest: 'a'.repeat(43),
    responseDigest: 'b'.repeat(43),
    requestSignature: `${'h'.repeat(100)}.${'c'.repeat(200)}.${'s'.repeat(86)}`,
    responseSignature: `${'h'.repeat(100)}.${'d'.repeat(200)}.${'s'.repeat(86)}`,
    eidDigest: 'e'.repeat(43),
  });

async function main() {
  const { values } = parseArgs({ options: { seconds: { type: 'string' } } });
  const parsed = settingsSchema.safeParse({ ...values, databaseUrl: process.env.DATABASE_URL || undefined });
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      console.error(`bench: --${issue.path.join('.')}: ${issue.message}`);
    process.exit(2);
  }
  const { seconds, databaseUrl } = parsed.data;
  const bench = await createBenchDatabase(databaseUrl);
  const database = await openDatabase({ url: bench.url });
  try {
    await migrateToLatest(database.db, { schema: 'gw', migrations: gatewayMigrations });
    const db = database.db.withSchema('gw') as Kysely<GatewayDb>;
    const log = createAuditLog({ db, tree: TREE, log: silentLogger });
    const postgres = localPostgresServer();
    console.log(`PostgreSQL ${bench.server.version} (synchronous_commit=${bench.server.synchronousCommit})`);
    for (const concurrency of [1, 8, 64]) {
      let records = 0;
      // The server is read first, so reading it is not counted as the writer's CPU.
      const serverBefore = await postgres.cpuSeconds();
      const cpuBefore = process.cpuUsage();
      const end = Date.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (Date.now() < end) {
            await log.append(exchangeRecord());
            records++;
          }
        }),
      );
      const cpu = process.cpuUsage(cpuBefore);
      const serverAfter = await postgres.cpuSeconds();
      const serverMs =
        serverBefore === undefined || serverAfter === undefined
          ? ''
          : `, PostgreSQL CPU ${(((serverAfter - serverBefore) * 1000) / records).toFixed(3)} ms/record`;
      console.log(
        `${String(concurrency).padStart(2)} concurrent: ${Math.round(records / seconds)} records/s, ` +
          `writer CPU ${((cpu.user + cpu.system) / 1000 / records).toFixed(3)} ms/record${serverMs}`,
      );
    }
  } finally {
    await database.close();
    await bench.drop();
  }
}

await main();
