import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailure, verifyBundles } from '../../audit/bundle/bundle-verify.ts';
import { exportBundle } from '../../audit/bundle/index.ts';
import { getInclusionProof, getTreeSize, verifyInclusion } from '../../audit/index.ts';
import { hashFromBase64 } from '../../protocol/index.ts';
import {
  type BundleFixture,
  CONSUMER_TREE,
  createBundleFixture,
  PROVIDER_TREE,
} from '../../tests/support/audit-bundle.ts';
import { ensureAuditPartitions, listAuditPartitions, monthStart } from './audit-partitions.ts';
import { pruneAuditLog } from './retention.ts';

const DAY = 86_400_000;

/**
 * Retention (docs/operations/scaling-retention-keys.md): records past the retention period lose
 * their content, whole months at a time, but keep their leaf hashes, so the signed checkpoints, an
 * export made before the prune and one made after it all verify, and the records still held keep
 * their inclusion proofs.
 */
describe('pruning the audit log past its retention period', () => {
  let fixture: BundleFixture;
  let threeYearsAgo: Date;
  /** Records moved three years back, per tree: the first checkpoint's records. */
  const OLD = { [CONSUMER_TREE]: 8, [PROVIDER_TREE]: 9 } as const;

  beforeAll(async () => {
    fixture = await createBundleFixture();
    threeYearsAgo = new Date(Date.now() - 3 * 365 * DAY);
    await ensureAuditPartitions(fixture.database.db, fixture.schema, threeYearsAgo, threeYearsAgo);
    // The first checkpoint's records as if logged three years ago: they move to that month's
    // partition (a delete and an insert, whose trigger serves their message ids anew).
    for (const [tree, count] of Object.entries(OLD)) {
      const moved = fixture.db
        .selectFrom('audit_record')
        .select('message_id')
        .where('tree', '=', tree)
        .where('idx', '<', count);
      await fixture.db.deleteFrom('served_message').where('message_id', 'in', moved).execute();
      await fixture.db
        .updateTable('audit_record')
        .set({ log_time: threeYearsAgo })
        .where('tree', '=', tree)
        .where('idx', '<', count)
        .execute();
    }
  }, 60_000);
  afterAll(() => fixture?.close());

  it('keeps one partition per month, the current one and the months ahead included', async () => {
    const partitions = await listAuditPartitions(fixture.database.db, fixture.schema);
    const month = (at: Date) =>
      `audit_record_y${at.getUTCFullYear()}m${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
    expect(partitions).toContain(month(threeYearsAgo));
    expect(partitions).toContain(month(new Date()));
    expect(partitions).toContain(month(monthStart(new Date(), 3)));
  });

  it('drops the months past retention, keeps the leaves, and every export and proof still verifies', async () => {
    const before = await fixture.db.selectFrom('audit_record').select(['tree', 'idx']).execute();
    const pruned = await pruneAuditLog(fixture.database.db, fixture.schema, new Date(Date.now() - 730 * DAY));
    expect(pruned.partitionsDropped).toHaveLength(1);
    expect(pruned.recordsDeleted).toBe(0);
    const after = await fixture.db.selectFrom('audit_record').select(['tree', 'idx']).execute();
    expect(before.length - after.length).toBe(OLD[CONSUMER_TREE] + OLD[PROVIDER_TREE]);
    for (const [tree, count] of Object.entries(OLD)) {
      const held = after.filter((r) => r.tree === tree).map((r) => Number(r.idx));
      expect(Math.min(...held)).toBe(count);
      // The tree itself is untouched.
      expect(await getTreeSize(fixture.db, tree)).toBe(before.filter((r) => r.tree === tree).length);
    }

    // The exports made before the prune still verify.
    const anchorPem = fixture.anchorPem;
    const old = await verifyBundles({ bundles: [fixture.consumerBundle, fixture.providerBundle], anchorPem });
    expect(old.failures.map(describeFailure)).toEqual([]);

    // An export after it carries the pruned records as leaf hashes, under the same signed checkpoints.
    const bundles = [join(fixture.work, 'munich-pruned'), join(fixture.work, 'residents-pruned')];
    await exportBundle({
      db: fixture.db,
      tree: CONSUMER_TREE,
      out: bundles[0]!,
      caPem: anchorPem,
      pageSize: 5,
    });
    await exportBundle({
      db: fixture.db,
      tree: PROVIDER_TREE,
      out: bundles[1]!,
      caPem: anchorPem,
      pageSize: 5,
    });
    const lines = (await readFile(join(bundles[1]!, 'records.ndjson'), 'utf8')).trim().split('\n');
    expect(JSON.parse(lines[0]!)).toEqual({ index: 0, canonical: null, leaf: expect.any(String) });
    expect(JSON.parse(lines[OLD[PROVIDER_TREE]]!).canonical).toEqual(expect.any(String));
    for (const [i, bundle] of bundles.entries()) {
      const original = [fixture.consumerBundle, fixture.providerBundle][i]!;
      expect(await readFile(join(bundle, 'checkpoints.json'), 'utf8')).toBe(
        await readFile(join(original, 'checkpoints.json'), 'utf8'),
      );
    }
    const report = await verifyBundles({ bundles, anchorPem });
    expect(report.failures.map(describeFailure)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.bundles.map((b) => b.pruned)).toEqual([OLD[CONSUMER_TREE], OLD[PROVIDER_TREE]]);
    expect(report.bundles.map((b) => b.records)).toEqual([24, 27]);
    // Both sides of the old exchanges are gone, so none is left without its pair.
    expect(report.pairing?.unpaired).toEqual([]);

    // A record still held proves its inclusion in the latest checkpoint, through pruned leaves.
    const checkpoint = await fixture.db
      .selectFrom('checkpoint')
      .selectAll()
      .where('tree', '=', PROVIDER_TREE)
      .orderBy('size', 'desc')
      .executeTakeFirstOrThrow();
    const index = OLD[PROVIDER_TREE];
    const proof = await getInclusionProof(fixture.db, PROVIDER_TREE, index, Number(checkpoint.size));
    expect(() => verifyInclusion({ ...proof, root: hashFromBase64(checkpoint.root) })).not.toThrow();
  });

  it('refuses a pruned record whose leaf hash was changed, and a line with neither record nor leaf', async () => {
    const bundle = join(fixture.work, 'residents-pruned');
    const file = join(bundle, 'records.ndjson');
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    const first = JSON.parse(lines[0]!);
    const forged = Buffer.from(first.leaf, 'base64');
    forged[0]! ^= 1;
    await writeFile(
      file,
      `${[JSON.stringify({ ...first, leaf: forged.toString('base64') }), ...lines.slice(1)].join('\n')}\n`,
    );
    const changed = await verifyBundles({ bundles: [bundle], anchorPem: fixture.anchorPem });
    expect(changed.ok).toBe(false);
    expect(changed.failures.map(describeFailure).join('\n')).toMatch(/not the signed root/);

    await writeFile(file, `${[JSON.stringify({ ...first, leaf: null }), ...lines.slice(1)].join('\n')}\n`);
    const empty = await verifyBundles({ bundles: [bundle], anchorPem: fixture.anchorPem });
    expect(empty.failures.map(describeFailure).join('\n')).toMatch(/not a record line/);
  });

  it('deletes row by row inside a month, and forgets the served message ids with their records', async () => {
    const cutoff = await fixture.db
      .selectFrom('audit_record')
      .select('log_time')
      .where('tree', '=', CONSUMER_TREE)
      .where('idx', '=', 16)
      .executeTakeFirstOrThrow();
    const servedBefore = await fixture.db.selectFrom('served_message').select('message_id').execute();
    const pruned = await pruneAuditLog(fixture.database.db, fixture.schema, new Date(cutoff.log_time));
    expect(pruned.partitionsDropped).toEqual([]);
    expect(pruned.recordsDeleted).toBeGreaterThan(0);
    expect(pruned.messageIdsForgotten).toBeGreaterThan(0);
    const served = await fixture.db.selectFrom('served_message').select('message_id').execute();
    expect(served.length).toBeLessThan(servedBefore.length);
    const held = await fixture.db
      .selectFrom('audit_record')
      .select((eb) => eb.fn.min('log_time').as('oldest'))
      .executeTakeFirstOrThrow();
    expect(new Date(held.oldest!).getTime()).toBeGreaterThanOrEqual(new Date(cutoff.log_time).getTime());
  });
});
