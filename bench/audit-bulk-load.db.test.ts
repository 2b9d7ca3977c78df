import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRoot, getTreeSize } from '../audit/index.ts';
import { type Database, migrateToLatest } from '../core/database/index.ts';
import { createAuditRecordStore } from '../gateway/audit/audit-record-store.ts';
import { type GatewayDb, gatewayMigrations } from '../gateway/index.ts';
import { canonicalRecord, hashToHex } from '../protocol/index.ts';
import { createTestDatabase } from '../tests/support/database.ts';
import { createBulkLoader } from './audit-bulk-load.ts';
import { sampleAuditRecord } from './sample-audit-record.ts';

/** The same records go to one schema through the loader and to another through the writer. */
const LOADED = 'gw_bulk_loaded';
const WRITTEN = 'gw_bulk_written';
const TREE = 'DEMO/GOV/munich/gw1';

/** Records of every shape the log holds: exchanges, refusals, hidden ones, with and without subject. */
const records = Array.from({ length: 700 }, (_, n) =>
  sampleAuditRecord({
    logTime: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
    messageId: randomUUID(),
    side: n % 2 ? 'consumer' : 'provider',
    subject: n % 5 === 0 ? null : `DE${String(n % 37).padStart(8, '0')}`,
    status: n % 7 === 0 ? 403 : 200,
    outcome: n % 7 === 0 ? 'rejected' : 'ok',
    errorCode: n % 7 === 0 ? 'Server.ServerProxy.AccessDenied' : null,
    hiddenUntil: n % 11 === 0 ? '2027-01-01T00:00:00.000Z' : null,
    hiddenReason: n % 11 === 0 ? 'criminal-investigation' : null,
    userId: n % 3 ? `clerk-${n}` : null,
  }),
);

describe('bulk loader of the audit benchmark', () => {
  let database: Database;
  const scoped = (schema: string) => database.db.withSchema(schema) as Kysely<GatewayDb>;

  beforeAll(async () => {
    database = await createTestDatabase();
    for (const schema of [LOADED, WRITTEN])
      await migrateToLatest(database.db, { schema, migrations: gatewayMigrations });
  });
  afterAll(() => database.close());

  it('writes exactly the log the gateway’s own writer writes: records, tree nodes, head and root', async () => {
    const loader = createBulkLoader(database.db, LOADED, TREE);
    for (const [from, to] of [
      [0, 1],
      [1, 256],
      [256, 300],
      [300, 700],
    ] as const)
      await loader.append(records.slice(from, to));
    const store = createAuditRecordStore({ db: scoped(WRITTEN), tree: TREE });
    for (const [from, to] of [
      [0, 3],
      [3, 400],
      [400, 401],
      [401, 700],
    ] as const) {
      await store.append(
        records.slice(from, to).map((record) => ({ record, canonical: canonicalRecord(record) })),
      );
    }

    const nodes = (schema: string) =>
      scoped(schema)
        .selectFrom('merkle_node')
        .select(['level', 'idx', 'hash'])
        .where('tree', '=', TREE)
        .orderBy('level')
        .orderBy('idx')
        .execute()
        .then((rows) => rows.map((r) => `${r.level}:${r.idx}:${hashToHex(r.hash)}`));
    const rows = (schema: string) =>
      sql<
        Record<string, unknown>
      >`select idx, log_time, message_id, side, client, service, subject, status, outcome,
          error_code, hidden_until, encode(canonical, 'hex') as canonical
        from ${sql.id(schema, 'audit_record')} where tree = ${TREE} order by idx`
        .execute(database.db)
        .then((r) => r.rows.map((row) => JSON.stringify(row)));
    const loaded = await nodes(LOADED);
    expect(loaded.length).toBeGreaterThan(1300); // every complete subtree: 700 leaves + 695 inner nodes
    expect(loaded).toEqual(await nodes(WRITTEN));
    expect(await rows(LOADED)).toEqual(await rows(WRITTEN));
    expect(await getTreeSize(scoped(LOADED), TREE)).toBe(700);
    const root = hashToHex(await getRoot(scoped(LOADED), TREE, 700));
    expect(root).toBe(hashToHex(loader.root()));
    expect(root).toBe(hashToHex(await getRoot(scoped(WRITTEN), TREE, 700)));
  });
});
