import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrateToLatest } from '../core/database/index.ts';
import { hashToHex } from '../protocol/index.ts';
import { createTestDatabase } from '../tests/support/database.ts';
import {
  appendLeaves,
  auditTreeMigrations,
  consistencyProof,
  createProofCache,
  createTreeBuilder,
  emptyRootHash,
  foldRight,
  getConsistencyProof,
  getInclusionProof,
  getInclusionProofs,
  getRoot,
  getTreeSize,
  inclusionProof,
  leafHash,
  planAppend,
  rootHash,
  type TreeTip,
  verifyConsistency,
  verifyInclusion,
} from './index.ts';

const SCHEMA = 'audit_tree_test';
const hex = (hashes: readonly Uint8Array[]): string[] => hashes.map(hashToHex);
const leavesOf = (tree: string, size: number, from = 0): Uint8Array[] =>
  Array.from({ length: size }, (_, i) => leafHash(Buffer.from(`${tree} record ${from + i}`)));

/** Splits `total` leaves into batches of the given sizes (the last batch takes the rest). */
function batches<T>(items: readonly T[], sizes: readonly number[]): T[][] {
  const result: T[][] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= items.length) break;
    result.push(items.slice(at, at + size));
    at += size;
  }
  if (at < items.length) result.push(items.slice(at));
  return result;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'EinmalError', code });
}

describe('tree store', () => {
  let database: Database;
  let db: Kysely<any>;
  let trees = 0;
  const newTree = (): string => `gw-node-${++trees}`;

  async function appendInBatches(tree: string, leaves: readonly Uint8Array[], sizes: readonly number[]) {
    for (const batch of batches(leaves, sizes)) {
      await db.transaction().execute((trx) => appendLeaves(trx, tree, batch));
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateToLatest(database.db, { schema: SCHEMA, migrations: auditTreeMigrations });
    db = database.db.withSchema(SCHEMA);
  });
  afterAll(() => database.close());

  it('stores trees of 1..300 leaves appended in random batches; every root and proof matches the plain list', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 15, maxLength: 15 }),
        async (size, batchSizes, pairs) => {
          const tree = newTree();
          const leaves = leavesOf(tree, size);
          await appendInBatches(tree, leaves, batchSizes);
          expect(await getTreeSize(db, tree)).toBe(size);

          // Roots of every prefix of the plain list (merkle.test.ts checks the builder against the
          // literal MTH definition); the store's roots must match them.
          const builder = createTreeBuilder();
          const roots = [builder.root()];
          for (const leaf of leaves) {
            builder.append(leaf);
            roots.push(builder.root());
          }
          const sizes = [0, 1, size, ...pairs.flatMap(([a, b]) => [1 + (a % size), 1 + (b % size)])];
          for (const n of sizes) {
            expect(hashToHex(await getRoot(db, tree, n)), `root of ${n}`).toBe(hashToHex(roots[n]!));
          }

          // Every leaf's inclusion proof in the whole tree, in one query.
          const indices = leaves.map((_, i) => i);
          const proofs = await getInclusionProofs(db, tree, indices, size);
          for (const stored of proofs) {
            const { leafIndex, proof } = stored;
            expect(hashToHex(stored.leafHash)).toBe(hashToHex(leaves[leafIndex]!));
            verifyInclusion({
              leafIndex,
              treeSize: size,
              leafHash: leaves[leafIndex]!,
              proof,
              root: roots[size]!,
            });
          }

          // Consistency from older sizes to the whole tree, and between random pairs.
          const checks: [number, number][] = [];
          for (const [a, b] of pairs) {
            checks.push([a % (size + 1), size], [b % (size + 1), size]);
            const n = 1 + (b % size);
            checks.push([a % (n + 1), n]);
          }
          for (const [m, n] of checks) {
            const proof = await getConsistencyProof(db, tree, m, n);
            expect(hex(proof), `consistency ${m} -> ${n}`).toEqual(hex(consistencyProof(leaves, m, n)));
            verifyConsistency({ oldSize: m, newSize: n, oldRoot: roots[m]!, newRoot: roots[n]!, proof });
          }

          // A stored proof with a flipped byte, for the wrong index or the wrong size does not verify.
          const index = pairs[0]![0] % size;
          const { proof } = await getInclusionProof(db, tree, index, size);
          const claim = {
            leafIndex: index,
            treeSize: size,
            leafHash: leaves[index]!,
            proof,
            root: roots[size]!,
          };
          if (proof.length > 0) {
            const flipped = proof.map((hash) => new Uint8Array(hash));
            flipped[pairs[1]![0] % proof.length]![pairs[1]![1] % 32]! ^= 0xff;
            expect(() => verifyInclusion({ ...claim, proof: flipped })).toThrow(
              expect.objectContaining({ code: 'Audit.InvalidProof' }),
            );
            expect(() => verifyInclusion({ ...claim, leafIndex: (index + 1) % size })).toThrow(
              expect.objectContaining({ code: 'Audit.InvalidProof' }),
            );
          }
          if (size > 1) {
            expect(() =>
              verifyInclusion({ ...claim, leafIndex: 0, treeSize: size - 1, root: roots[size - 1]! }),
            ).toThrow(expect.objectContaining({ code: 'Audit.InvalidProof' }));
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  it('plans appends from a kept tip exactly as the store appends them', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
        async (sizes) => {
          const tree = newTree();
          const leaves = leavesOf(
            tree,
            sizes.reduce((a, b) => a + b, 0),
          );
          let tip: TreeTip = { size: 0, frontier: [] };
          for (const batch of batches(leaves, sizes)) {
            const plan = planAppend(tree, tip, batch);
            const stored = await db.transaction().execute((trx) => appendLeaves(trx, tree, batch));
            expect(stored.firstIndex).toBe(tip.size);
            expect(hex(plan.tip.frontier)).toEqual(hex(stored.tip.frontier));
            // Each planned node is the plain-list root of the leaves it spans (RFC 9162 MTH).
            for (const row of plan.rows) {
              const span = 2 ** row.level;
              expect(hashToHex(row.hash), `node ${row.level}:${row.idx}`).toBe(
                hashToHex(rootHash(leaves.slice(row.idx * span, (row.idx + 1) * span))),
              );
            }
            tip = plan.tip;
            expect(hashToHex(foldRight(tip.frontier))).toBe(hashToHex(rootHash(leaves.slice(0, tip.size))));
          }
        },
      ),
      { numRuns: 10 },
    );
    expect(() => planAppend('t', { size: 3, frontier: [] }, [])).toThrow(TypeError);
  });

  it('refuses sizes and indices beyond the stored tree with Audit.RangeError', async () => {
    const tree = newTree();
    await appendInBatches(tree, leavesOf(tree, 10), [10]);
    await expectCode(getRoot(db, tree, 11), 'Audit.RangeError');
    await expectCode(getInclusionProof(db, tree, 10, 10), 'Audit.RangeError');
    await expectCode(getInclusionProof(db, tree, 3, 11), 'Audit.RangeError');
    await expectCode(getInclusionProof(db, tree, -1, 5), 'Audit.RangeError');
    await expectCode(getConsistencyProof(db, tree, 5, 11), 'Audit.RangeError');
    await expectCode(getConsistencyProof(db, tree, 10, 11), 'Audit.RangeError');
    await expectCode(getConsistencyProof(db, tree, 6, 5), 'Audit.RangeError');
    await expectCode(getRoot(db, tree, 2.5), 'Audit.RangeError');
    await expectCode(getRoot(db, 'never-written', 1), 'Audit.RangeError');
    expect(await getRoot(db, 'never-written', 0)).toEqual(emptyRootHash());
    expect(await getTreeSize(db, 'never-written')).toBe(0);
    expect(await getConsistencyProof(db, tree, 10, 10)).toEqual([]);
  });

  it('keeps each gateway node’s tree apart', async () => {
    const [a, b] = [newTree(), newTree()];
    await appendInBatches(a, leavesOf(a, 5), [5]);
    await appendInBatches(b, leavesOf(b, 3), [3]);
    expect(await getTreeSize(db, a)).toBe(5);
    expect(await getTreeSize(db, b)).toBe(3);
    expect(hashToHex(await getRoot(db, b, 3))).toBe(hashToHex(rootHash(leavesOf(b, 3))));
  });

  it('leaves no trace of an append whose transaction rolls back', async () => {
    const tree = newTree();
    const leaves = leavesOf(tree, 7);
    await appendInBatches(tree, leaves.slice(0, 3), [3]);
    const failed = db.transaction().execute(async (trx) => {
      await appendLeaves(trx, tree, leavesOf('other', 4));
      throw new Error('record insert failed');
    });
    await expect(failed).rejects.toThrow('record insert failed');
    expect(await getTreeSize(db, tree)).toBe(3);
    const result = await db.transaction().execute((trx) => appendLeaves(trx, tree, leaves.slice(3)));
    expect(result).toMatchObject({ firstIndex: 3, size: 7 });
    expect(hashToHex(await getRoot(db, tree, 7))).toBe(hashToHex(rootHash(leaves)));
  });

  it('serialises concurrent writers on the tree head: no index is handed out twice', async () => {
    const tree = newTree();
    const groups = Array.from({ length: 8 }, (_, g) => leavesOf(`${tree}/${g}`, 5 + g));
    const results = await Promise.all(
      groups.map((group) => db.transaction().execute((trx) => appendLeaves(trx, tree, group))),
    );
    const total = groups.reduce((sum, group) => sum + group.length, 0);
    expect(await getTreeSize(db, tree)).toBe(total);
    const ordered = results
      .map((result, g) => ({ ...result, leaves: groups[g]! }))
      .sort((x, y) => x.firstIndex - y.firstIndex);
    let next = 0;
    for (const slot of ordered) {
      expect(slot.firstIndex).toBe(next);
      next += slot.leaves.length;
      expect(slot.size).toBe(next);
    }
    const leaves = ordered.flatMap((slot) => slot.leaves);
    expect(hashToHex(await getRoot(db, tree, total))).toBe(hashToHex(rootHash(leaves)));
  });

  it('refuses hashes that are not 32 bytes before touching the tree', async () => {
    const tree = newTree();
    await expect(appendLeaves(db, tree, [new Uint8Array(31)])).rejects.toThrow(TypeError);
    expect(await getTreeSize(db, tree)).toBe(0);
  });

  it('serves the same proofs from a proof cache as from the store alone, while the tree grows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 260 }),
        fc.array(fc.integer({ min: 1, max: 90 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 3, max: 40 }),
        fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
        async (first, growth, minLevel, maxNodes, picks) => {
          const tree = newTree();
          // A small cache that also starts over when full, used across checkpoints of a growing tree.
          const cache = createProofCache({ minLevel, maxNodes });
          let leaves: Uint8Array[] = [];
          for (const added of [first, ...growth]) {
            const more = leavesOf(tree, added, leaves.length);
            await appendInBatches(tree, more, [added]);
            leaves = [...leaves, ...more];
            const size = leaves.length;
            const indices = picks.map((p) => p % size);
            // Twice: the second round is served from what the first one cached.
            for (let round = 0; round < 2; round++) {
              const cached = await getInclusionProofs(db, tree, indices, size, cache);
              const plain = await getInclusionProofs(db, tree, indices, size);
              expect(cached.map((p) => [p.leafIndex, hashToHex(p.leafHash), hex(p.proof)])).toEqual(
                plain.map((p) => [p.leafIndex, hashToHex(p.leafHash), hex(p.proof)]),
              );
              for (const [k, index] of indices.entries()) {
                expect(hex(cached[k]!.proof)).toEqual(hex(inclusionProof(leaves, index)));
              }
            }
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('reads the upper levels and the right edge once per checkpoint, not per proof', async () => {
    const tree = newTree();
    const leaves = leavesOf(tree, 1000);
    await appendInBatches(tree, leaves, [1000]);
    const cache = createProofCache({ minLevel: 4 });
    const indices = [3, 250, 511, 777, 999];
    const before = await getInclusionProofs(db, tree, indices, 1000, cache);
    // Once cached, the store's upper levels are no longer read: a proof that needed them would
    // now fail with Audit.RangeError; the cached one is still the full proof.
    await db.deleteFrom('merkle_node').where('tree', '=', tree).where('level', '>=', 4).execute();
    const after = await getInclusionProofs(db, tree, indices, 1000, cache);
    expect(after.map((p) => hex(p.proof))).toEqual(before.map((p) => hex(p.proof)));
    for (const [k, index] of indices.entries()) {
      expect(() => verifyInclusion({ ...after[k]!, root: rootHash(leaves) })).not.toThrow();
      expect(hex(after[k]!.proof)).toEqual(hex(inclusionProof(leaves, index)));
    }
    await expectCode(getInclusionProofs(db, tree, [3], 1000), 'Audit.RangeError');
    // A size the tree has not reached is still refused, cache or not.
    await expectCode(getInclusionProofs(db, tree, [3], 1001, cache), 'Audit.RangeError');
  });
});
