import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EinmalError } from '../core/index.ts';
import { hashFromBase64, hashFromHex, hashToBase64, hashToHex } from '../protocol/index.ts';
import {
  alignedSubtrees,
  consistencyProof,
  createTreeBuilder,
  emptyRootHash,
  inclusionProof,
  leafHash,
  nodeHash,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from './index.ts';

// RFC 9162 §2.1.1-§2.1.4.1 written out literally, independent of the code under test.
const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
};
const splitPoint = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
// Memoised per (data, range) only so the exhaustive tests stay fast; the recursion is the RFC's.
const mthMemo = new WeakMap<readonly Uint8Array[], Map<string, Uint8Array>>();
function referenceMth(data: readonly Uint8Array[], start = 0, end = data.length): Uint8Array {
  const memo = mthMemo.get(data) ?? new Map<string, Uint8Array>();
  mthMemo.set(data, memo);
  const key = `${start}:${end}`;
  const known = memo.get(key);
  if (known) return known;
  const n = end - start;
  let hash: Uint8Array;
  if (n === 0) hash = sha256();
  else if (n === 1) hash = sha256(Uint8Array.of(0), data[start]!);
  else {
    const k = splitPoint(n);
    hash = sha256(Uint8Array.of(1), referenceMth(data, start, start + k), referenceMth(data, start + k, end));
  }
  memo.set(key, hash);
  return hash;
}
function referencePath(m: number, data: readonly Uint8Array[], start: number, end: number): Uint8Array[] {
  if (end - start === 1) return [];
  const k = splitPoint(end - start);
  if (m < k) return [...referencePath(m, data, start, start + k), referenceMth(data, start + k, end)];
  return [...referencePath(m - k, data, start + k, end), referenceMth(data, start, start + k)];
}
function referenceSubproof(
  m: number,
  data: readonly Uint8Array[],
  start: number,
  end: number,
  whole: boolean,
): Uint8Array[] {
  if (m === end - start) return whole ? [] : [referenceMth(data, start, end)];
  const k = splitPoint(end - start);
  if (m <= k) {
    return [...referenceSubproof(m, data, start, start + k, whole), referenceMth(data, start + k, end)];
  }
  return [...referenceSubproof(m - k, data, start + k, end, false), referenceMth(data, start, start + k)];
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

// The test data of Certificate Transparency's merkle tree tests (RFC 6962 reference vectors).
const CT_ENTRIES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(unhex);
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_INCLUSION = [
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
];
const CT_CONSISTENCY = [
  {
    oldSize: 2,
    newSize: 8,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    oldSize: 6,
    newSize: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];
const CT_LEAVES = CT_ENTRIES.map(leafHash);

const entriesOf = (size: number, seed = 0): Uint8Array[] =>
  Array.from({ length: size }, (_, i) => new Uint8Array(Buffer.from(`record ${seed}/${i}`)));
const leavesOf = (size: number, seed = 0): Uint8Array[] => entriesOf(size, seed).map(leafHash);

function expectRefused(run: () => void): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EinmalError);
    expect((error as EinmalError).code).toBe('Audit.InvalidProof');
    return;
  }
  expect.fail('the proof was accepted');
}

function flipByte(proof: readonly Uint8Array[], element: number, byte: number): Uint8Array[] {
  return proof.map((hash, i) => {
    if (i !== element) return hash;
    const copy = new Uint8Array(hash);
    copy[byte] = copy[byte]! ^ 0x01;
    return copy;
  });
}

describe('RFC 6962 reference vectors', () => {
  it('the empty tree hashes to SHA-256 of nothing', () => {
    expect(hex(emptyRootHash())).toBe(CT_ROOTS[0]);
    expect(hex(rootHash([]))).toBe(CT_ROOTS[0]);
    expect(hex(referenceMth([]))).toBe(CT_ROOTS[0]);
  });

  it('gives the published root for every size 1..8', () => {
    for (let n = 1; n <= 8; n++) {
      expect(hex(rootHash(CT_LEAVES.slice(0, n))), `size ${n}`).toBe(CT_ROOTS[n]);
      expect(hex(referenceMth(CT_ENTRIES.slice(0, n))), `reference size ${n}`).toBe(CT_ROOTS[n]);
    }
  });

  it('generates and accepts the published inclusion proofs', () => {
    for (const vector of CT_INCLUSION) {
      const proof = inclusionProof(CT_LEAVES, vector.index, vector.size);
      expect(proof.map(hex)).toEqual(vector.proof);
      verifyInclusion({
        leafIndex: vector.index,
        treeSize: vector.size,
        leafHash: CT_LEAVES[vector.index]!,
        proof: vector.proof.map(unhex),
        root: unhex(CT_ROOTS[vector.size]!),
      });
    }
  });

  it('generates and accepts the published consistency proofs', () => {
    for (const vector of CT_CONSISTENCY) {
      const proof = consistencyProof(CT_LEAVES, vector.oldSize, vector.newSize);
      expect(proof.map(hex)).toEqual(vector.proof);
      verifyConsistency({
        oldSize: vector.oldSize,
        newSize: vector.newSize,
        oldRoot: unhex(CT_ROOTS[vector.oldSize]!),
        newRoot: unhex(CT_ROOTS[vector.newSize]!),
        proof: vector.proof.map(unhex),
      });
    }
  });
});

describe('Merkle tree hashing', () => {
  it('prefixes leaves with 0x00 and nodes with 0x01', () => {
    const left = leafHash(Buffer.from('l'));
    const right = leafHash(Buffer.from('r'));
    expect(left).toEqual(sha256(Uint8Array.of(0), Buffer.from('l')));
    expect(nodeHash(left, right)).toEqual(sha256(Uint8Array.of(1), left, right));
  });

  it('agrees with the literal MTH definition for every size up to 300, built leaf by leaf', () => {
    const entries = Array.from({ length: 300 }, (_, i) => Buffer.from(`entry ${i}`));
    const tree = createTreeBuilder();
    for (let n = 1; n <= entries.length; n++) {
      tree.append(leafHash(entries[n - 1]!));
      expect(tree.size).toBe(n);
      expect(hex(tree.root()), `size ${n}`).toBe(hex(referenceMth(entries, 0, n)));
    }
  });

  it('builds the same tree from chunks hashed apart as aligned subtrees as from single leaves', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 8 }), (chunks) => {
        const total = chunks.reduce((a, b) => a + b, 0);
        const entries = Array.from({ length: total }, (_, i) => Buffer.from(`entry ${i}`));
        const leaves = entries.map(leafHash);
        const tree = createTreeBuilder();
        let first = 0;
        for (const count of chunks) {
          const bytes = Buffer.concat(leaves.slice(first, first + count));
          const subtrees = alignedSubtrees(bytes, first, count);
          expect(subtrees.reduce((sum, s) => sum + s.width, 0)).toBe(count);
          for (const { hash, width } of subtrees) tree.appendSubtree(hash, width);
          first += count;
          expect(tree.size).toBe(first);
          expect(hex(tree.root())).toBe(hex(referenceMth(entries, 0, first)));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a subtree that is not a power of two wide or does not start at a multiple of its width', () => {
    const tree = createTreeBuilder();
    tree.append(leafHash(Buffer.from('a')));
    const hash = leafHash(Buffer.from('b'));
    expect(() => tree.appendSubtree(hash, 2)).toThrow(TypeError);
    expect(() => tree.appendSubtree(hash, 3)).toThrow(TypeError);
    expect(tree.size).toBe(1);
  });

  it('proves inclusion of every leaf in every tree up to 64 leaves, as RFC 9162 §2.1.3 defines', () => {
    const entries = entriesOf(64);
    const leaves = entries.map(leafHash);
    for (let size = 1; size <= 64; size++) {
      const root = referenceMth(entries, 0, size);
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(leaves, index, size);
        expect(proof.map(hex)).toEqual(referencePath(index, entries, 0, size).map(hex));
        verifyInclusion({ leafIndex: index, treeSize: size, leafHash: leaves[index]!, proof, root });
      }
    }
  });

  it('proves consistency between every pair of trees up to 64 leaves, as RFC 9162 §2.1.4 defines', () => {
    const entries = entriesOf(64);
    const leaves = entries.map(leafHash);
    const roots = Array.from({ length: 65 }, (_, n) => referenceMth(entries, 0, n));
    for (let newSize = 1; newSize <= 64; newSize++) {
      for (let oldSize = 0; oldSize <= newSize; oldSize++) {
        const proof = consistencyProof(leaves, oldSize, newSize);
        if (oldSize > 0 && oldSize < newSize) {
          expect(proof.map(hex)).toEqual(referenceSubproof(oldSize, entries, 0, newSize, true).map(hex));
        } else {
          expect(proof).toEqual([]);
        }
        verifyConsistency({ oldSize, newSize, oldRoot: roots[oldSize]!, newRoot: roots[newSize]!, proof });
      }
    }
  });
});

describe('proof verification refuses', () => {
  const leaves = leavesOf(300, 1);
  const roots = new Map<number, Uint8Array>();
  const rootOf = (size: number): Uint8Array => {
    if (!roots.has(size)) roots.set(size, rootHash(leaves.slice(0, size)));
    return roots.get(size)!;
  };

  it('any flipped byte, wrong leaf, index or size in an inclusion proof (random trees up to 300)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 300 }).chain((size) =>
          fc.record({
            size: fc.constant(size),
            index: fc.integer({ min: 0, max: size - 1 }),
            other: fc.integer({ min: 0, max: size - 1 }),
            otherSize: fc.integer({ min: 1, max: 300 }),
            byte: fc.integer({ min: 0, max: 31 }),
            element: fc.nat(),
          }),
        ),
        ({ size, index, other, otherSize, byte, element }) => {
          const proof = inclusionProof(leaves, index, size);
          const claim = {
            leafIndex: index,
            treeSize: size,
            leafHash: leaves[index]!,
            proof,
            root: rootOf(size),
          };
          verifyInclusion(claim);
          expectRefused(() =>
            verifyInclusion({ ...claim, proof: flipByte(proof, element % proof.length, byte) }),
          );
          expectRefused(() =>
            verifyInclusion({ ...claim, leafHash: flipByte([leaves[index]!], 0, byte)[0]! }),
          );
          expectRefused(() => verifyInclusion({ ...claim, root: flipByte([rootOf(size)], 0, byte)[0]! }));
          expectRefused(() => verifyInclusion({ ...claim, proof: proof.slice(1) }));
          expectRefused(() => verifyInclusion({ ...claim, proof: [...proof, rootOf(size)] }));
          if (other !== index) expectRefused(() => verifyInclusion({ ...claim, leafIndex: other }));
          if (otherSize !== size) {
            // A proof for one size never verifies against another size's root. (Against its own
            // root it may: the size is not hashed, which is why a checkpoint signs size and root together.)
            if (index < otherSize) {
              expectRefused(() =>
                verifyInclusion({ ...claim, treeSize: otherSize, root: rootOf(otherSize) }),
              );
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('any flipped byte, wrong size or wrong root in a consistency proof (random trees up to 300)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 300 }).chain((newSize) =>
          fc.record({
            newSize: fc.constant(newSize),
            oldSize: fc.integer({ min: 1, max: newSize - 1 }),
            otherSize: fc.integer({ min: 1, max: 300 }),
            byte: fc.integer({ min: 0, max: 31 }),
            element: fc.nat(),
          }),
        ),
        ({ newSize, oldSize, otherSize, byte, element }) => {
          const proof = consistencyProof(leaves, oldSize, newSize);
          const claim = { oldSize, newSize, oldRoot: rootOf(oldSize), newRoot: rootOf(newSize), proof };
          verifyConsistency(claim);
          expectRefused(() =>
            verifyConsistency({ ...claim, proof: flipByte(proof, element % proof.length, byte) }),
          );
          expectRefused(() =>
            verifyConsistency({ ...claim, oldRoot: flipByte([claim.oldRoot], 0, byte)[0]! }),
          );
          expectRefused(() =>
            verifyConsistency({ ...claim, newRoot: flipByte([claim.newRoot], 0, byte)[0]! }),
          );
          expectRefused(() => verifyConsistency({ ...claim, proof: proof.slice(0, -1) }));
          expectRefused(() => verifyConsistency({ ...claim, proof: [...proof, claim.newRoot] }));
          expectRefused(() => verifyConsistency({ ...claim, oldSize: newSize, newSize: oldSize }));
          if (otherSize !== oldSize && otherSize < newSize) {
            expectRefused(() =>
              verifyConsistency({ ...claim, oldSize: otherSize, oldRoot: rootOf(otherSize) }),
            );
          }
          if (otherSize !== newSize && otherSize > oldSize) {
            expectRefused(() =>
              verifyConsistency({ ...claim, newSize: otherSize, newRoot: rootOf(otherSize) }),
            );
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('degenerate consistency claims that RFC 9162 §2.1.4.2 leaves open', () => {
    const root5 = rootOf(5);
    verifyConsistency({ oldSize: 5, newSize: 5, oldRoot: root5, newRoot: root5, proof: [] });
    verifyConsistency({ oldSize: 0, newSize: 5, oldRoot: emptyRootHash(), newRoot: root5, proof: [] });
    expectRefused(() =>
      verifyConsistency({ oldSize: 5, newSize: 5, oldRoot: root5, newRoot: rootOf(4), proof: [] }),
    );
    expectRefused(() =>
      verifyConsistency({ oldSize: 5, newSize: 5, oldRoot: root5, newRoot: root5, proof: [root5] }),
    );
    expectRefused(() =>
      verifyConsistency({ oldSize: 0, newSize: 5, oldRoot: rootOf(1), newRoot: root5, proof: [] }),
    );
    expectRefused(() =>
      verifyConsistency({ oldSize: 3, newSize: 5, oldRoot: rootOf(3), newRoot: root5, proof: [] }),
    );
  });

  it('malformed input without throwing anything but Audit.InvalidProof', () => {
    const proof = inclusionProof(leaves, 3, 10);
    const claim = { leafIndex: 3, treeSize: 10, leafHash: leaves[3]!, proof, root: rootOf(10) };
    expectRefused(() => verifyInclusion({ ...claim, leafIndex: -1 }));
    expectRefused(() => verifyInclusion({ ...claim, leafIndex: 1.5 }));
    expectRefused(() => verifyInclusion({ ...claim, treeSize: Number.NaN }));
    expectRefused(() => verifyInclusion({ ...claim, leafIndex: 10 }));
    expectRefused(() => verifyInclusion({ ...claim, root: new Uint8Array(31) }));
    expectRefused(() => verifyInclusion({ ...claim, proof: [new Uint8Array(33), ...proof.slice(1)] }));
    expectRefused(() => verifyInclusion({ ...claim, proof: 'not a proof' as never }));
    expectRefused(() => verifyInclusion({ ...claim, proof: Array.from({ length: 65 }, () => rootOf(1)) }));
    expectRefused(() =>
      verifyConsistency({ oldSize: 2 ** 53, newSize: 3, oldRoot: rootOf(1), newRoot: rootOf(3), proof: [] }),
    );
  });
});

describe('hash codec', () => {
  it('round-trips base64 and hex', () => {
    const hash = leafHash(Buffer.from('x'));
    expect(hashFromBase64(hashToBase64(hash))).toEqual(hash);
    expect(hashFromHex(hashToHex(hash))).toEqual(hash);
    expect(hashFromHex(hashToHex(hash).toUpperCase())).toEqual(hash);
  });

  it('refuses anything but one canonical spelling of 32 bytes', () => {
    const text = hashToBase64(emptyRootHash()); // ends in 'U='
    for (const bad of [
      text.slice(0, -1),
      `${text.slice(0, -2)}V=`,
      `${text}=`,
      text.replaceAll('+', '-'),
      hashToBase64(emptyRootHash()).slice(4),
      '',
      42,
      null,
    ]) {
      expect(() => hashFromBase64(bad), String(bad)).toThrow(EinmalError);
    }
    expect(() => hashFromHex('ab'.repeat(31))).toThrow(EinmalError);
    expect(() => hashFromBase64('x', 'Audit.InvalidCheckpoint')).toThrow(
      expect.objectContaining({ code: 'Audit.InvalidCheckpoint' }),
    );
  });
});
