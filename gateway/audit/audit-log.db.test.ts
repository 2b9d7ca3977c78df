import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendLeaves,
  getInclusionProof,
  getRoot,
  getTreeSize,
  leafHash,
  rootHash,
  verifyInclusion,
} from '../../audit/index.ts';
import { sampleAuditRecord } from '../../bench/sample-audit-record.ts';
import { type Database, migrateToLatest } from '../../core/database/index.ts';
import { silentLogger } from '../../core/index.ts';
import { canonicalRecord, hashToHex } from '../../protocol/index.ts';
import type { AuditRecord } from '../../schemas/index.ts';
import { createTestDatabase } from '../../tests/support/database.ts';
import { gatewayMigrations } from '../db/migrations.ts';
import type { GatewayDb } from '../db/tables.ts';
import { createAuditLog } from './audit-log.ts';

let database: Database;
let db: Kysely<GatewayDb>;
let trees = 0;
const newTree = () => `DEMO/GOV/munich/gw${++trees}`;

const record = (tree: string, fields: Partial<AuditRecord> = {}) =>
  sampleAuditRecord({ gateway: tree, ...fields });

/** The stored records of `tree` in leaf order, and the Merkle root a verifier computes over them. */
async function storedLog(tree: string) {
  const rows = await db
    .selectFrom('audit_record')
    .selectAll()
    .where('tree', '=', tree)
    .orderBy('idx')
    .execute();
  return {
    rows,
    indices: rows.map((r) => Number(r.idx)),
    root: hashToHex(rootHash(rows.map((r) => leafHash(r.canonical)))),
  };
}

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateToLatest(database.db, { schema: 'gw_audit_log', migrations: gatewayMigrations });
  db = database.db.withSchema('gw_audit_log') as Kysely<GatewayDb>;
});
afterAll(() => database.close());

describe('audit log writer', () => {
  it('commits concurrent appends in batches: every record once, in its leaf, under the stored root', async () => {
    const tree = newTree();
    const log = createAuditLog({ db, tree, log: silentLogger, maxBatch: 16 });
    const records: AuditRecord[] = [];
    for (let wave = 0; wave < 5; wave++) {
      const batch = Array.from({ length: 40 }, (_, i) =>
        record(tree, {
          ...(i % 7 === 0 ? { hiddenUntil: '2030-01-01T00:00:00.000Z', hiddenReason: 'Investigation' } : {}),
          ...(i % 5 === 0
            ? { client: null, status: 400, outcome: 'rejected' as const, errorCode: 'Client.BadRequest' }
            : {}),
        }),
      );
      records.push(...batch);
      const appended = await Promise.all(batch.map((r) => log.append(r)));
      expect(new Set(appended.map((a) => a.index)).size).toBe(batch.length);
    }

    const stored = await storedLog(tree);
    expect(stored.indices).toEqual(records.map((_, i) => i));
    expect(new Set(stored.rows.map((r) => r.message_id))).toEqual(new Set(records.map((r) => r.messageId)));
    for (const row of stored.rows) {
      const original = records.find((r) => r.messageId === row.message_id)!;
      expect(Buffer.from(row.canonical).equals(Buffer.from(canonicalRecord(original)))).toBe(true);
      expect(row.hidden_until?.toISOString() ?? null).toBe(original.hiddenUntil);
      expect(row.client).toBe(original.client);
    }
    expect(await getTreeSize(db, tree)).toBe(records.length);
    expect(hashToHex(await getRoot(db, tree, records.length))).toBe(stored.root);
    const leaves = stored.rows.map((r) => leafHash(r.canonical));
    for (const size of [1, 16, 17, 100, 199]) {
      expect(hashToHex(await getRoot(db, tree, size)), `root of ${size}`).toBe(
        hashToHex(rootHash(leaves.slice(0, size))),
      );
    }
    const root = await getRoot(db, tree, records.length);
    for (const [leaf, hash] of leaves.entries()) {
      verifyInclusion({ ...(await getInclusionProof(db, tree, leaf, records.length)), leafHash: hash, root });
    }
  });

  it('after a write whose outcome it cannot know, reads the tree again and appends after it', async () => {
    const tree = newTree();
    // The connection is "lost" after the one-statement write committed: the writer sees an error.
    let loseNextAnswer = false;
    const flaky = db.withPlugin({
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        if (loseNextAnswer && (args.result.rows[0] as { size?: unknown } | undefined)?.size !== undefined) {
          loseNextAnswer = false;
          throw new Error('Connection terminated unexpectedly');
        }
        return args.result;
      },
    });
    const log = createAuditLog({ db: flaky, tree, log: silentLogger });
    for (let i = 0; i < 3; i++) await log.append(record(tree));
    loseNextAnswer = true;
    await expect(log.append(record(tree))).rejects.toMatchObject({
      code: 'Server.ClientProxy.AuditUnavailable',
    });
    // That record did commit at leaf 3 (fail closed: its exchange released nothing); the next
    // ones land after it, first through the locked read of the tree, then from the kept tip again.
    expect(await log.append(record(tree))).toEqual({ index: 4 });
    expect(await log.append(record(tree))).toEqual({ index: 5 });
    const stored = await storedLog(tree);
    expect(stored.indices).toEqual([0, 1, 2, 3, 4, 5]);
    expect(hashToHex(await getRoot(db, tree, 6))).toBe(stored.root);
  });

  it('continues after the tree moved under it, without reusing a leaf', async () => {
    const tree = newTree();
    const log = createAuditLog({ db, tree, log: silentLogger });
    await Promise.all([record(tree), record(tree), record(tree)].map((r) => log.append(r)));
    // Another writer (say a restarted node with the same tree) appends two leaves directly.
    const outside = [record(tree), record(tree)];
    await db.transaction().execute(async (trx) => {
      const { firstIndex } = await appendLeaves(
        trx,
        tree,
        outside.map((r) => leafHash(canonicalRecord(r))),
      );
      await trx
        .insertInto('audit_record')
        .values(
          outside.map((r, i) => ({
            tree,
            idx: firstIndex + i,
            log_time: new Date(r.logTime),
            message_id: r.messageId,
            side: r.side,
            client: r.client,
            service: r.service,
            subject: r.subject,
            status: r.status,
            outcome: r.outcome,
            error_code: null,
            hidden_until: null,
            canonical: canonicalRecord(r),
          })),
        )
        .execute();
    });

    const next = await Promise.all([record(tree), record(tree)].map((r) => log.append(r)));
    expect(next.map((a) => a.index).sort()).toEqual([5, 6]);
    const stored = await storedLog(tree);
    expect(stored.indices).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(hashToHex(await getRoot(db, tree, 7))).toBe(stored.root);
  });

  it('fails only the replayed record of a batch, and keeps the tree whole', async () => {
    const tree = newTree();
    const log = createAuditLog({ db, tree, log: silentLogger });
    const served = record(tree);
    await log.append(served);
    const batch = [record(tree), { ...served, logTime: new Date().toISOString() }, record(tree)];
    const results = await Promise.allSettled(batch.map((r) => log.append(r)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'Server.ServerProxy.Replay' });
    const stored = await storedLog(tree);
    expect(stored.indices).toEqual([0, 1, 2]);
    expect(hashToHex(await getRoot(db, tree, 3))).toBe(stored.root);
    await log.append(record(tree));
    expect(await getTreeSize(db, tree)).toBe(4);
  });

  it('fails only a record whose values the store refuses; its batch is written, the tree stays whole', async () => {
    const tree = newTree();
    const log = createAuditLog({ db, tree, log: silentLogger });
    await log.append(record(tree));
    // PostgreSQL text cannot hold NUL, with either driver (the gateway refuses such input earlier;
    // the writer must still not let it fail the records that share its commit).
    const unstorable = { ...record(tree), subject: 'DE6540\u00002138797' };
    const batch = [record(tree), record(tree), unstorable, record(tree), record(tree)];
    const results = await Promise.allSettled(batch.map((r) => log.append(r)));
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({
      code: 'Server.ClientProxy.AuditUnavailable',
    });
    const stored = await storedLog(tree);
    expect(stored.indices).toEqual([0, 1, 2, 3, 4]);
    expect(stored.rows.map((r) => r.message_id)).not.toContain(unstorable.messageId);
    expect(hashToHex(await getRoot(db, tree, 5))).toBe(stored.root);
  });

  it('fails every record of a batch when the database is unreachable, and writes none', async () => {
    const tree = newTree();
    let down = false;
    // The statement never reaches the server: refused as a connection to a stopped server is.
    const refused = () =>
      Promise.reject(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      );
    const flaky = new Proxy(db, {
      get(target, name) {
        if (down && name === 'executeQuery') return refused;
        if (down && name === 'transaction') return () => ({ execute: refused });
        const value = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const log = createAuditLog({ db: flaky, tree, log: silentLogger });
    await log.append(record(tree));
    down = true;
    const results = await Promise.allSettled(
      [record(tree), record(tree), record(tree)].map((r) => log.append(r)),
    );
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const result of results) {
      expect((result as PromiseRejectedResult).reason).toMatchObject({
        code: 'Server.ClientProxy.AuditUnavailable',
      });
    }
    down = false;
    expect(await log.append(record(tree))).toEqual({ index: 1 });
    expect((await storedLog(tree)).indices).toEqual([0, 1]);
  });
});
