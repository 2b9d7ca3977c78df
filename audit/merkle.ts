import { createHash } from 'node:crypto';
import { EinmalError } from '../core/errors/index.ts';
import { consistencyRanges, inclusionRanges, type LeafRange } from './merkle-plan.ts';

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

/**
 * The hash of a leaf, RFC 9162 §2.1.1: SHA-256(0x00 ‖ bytes). For an audit record the bytes are
 * `canonicalRecord(record)`.
 *
 * @example
 * const leaf = leafHash(canonicalRecord(record));
 */
export function leafHash(bytes: Uint8Array): Uint8Array {
  return digest(createHash('sha256').update(LEAF_PREFIX).update(bytes));
}

/** The hash of an interior node, RFC 9162 §2.1.1: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return digest(createHash('sha256').update(NODE_PREFIX).update(left).update(right));
}

/** The root of the empty tree, RFC 9162 §2.1.1: SHA-256 of the empty string. */
export function emptyRootHash(): Uint8Array {
  return digest(createHash('sha256'));
}

/**
 * Builds a tree's root leaf by leaf in O(log n) memory, keeping only the perfect subtrees of the
 * tree so far. The offline verifier streams a log through one and checks each checkpoint's root as
 * the size passes it.
 *
 * @example
 * const tree = createTreeBuilder();
 * for (const record of records) tree.append(leafHash(canonicalRecord(record)));
 * tree.root(); // MTH of all leaves
 */
export interface TreeBuilder {
  /** Number of leaves appended. */
  readonly size: number;
  append(leafHash: Uint8Array): void;
  /** The MTH (RFC 9162 §2.1.1) of the leaves appended so far. */
  root(): Uint8Array;
}

/** Creates an empty {@link TreeBuilder}. */
export function createTreeBuilder(): TreeBuilder {
  // Perfect subtree hashes, largest first; `sizes[i]` is the leaf count of `hashes[i]`.
  const hashes: Uint8Array[] = [];
  const sizes: number[] = [];
  let size = 0;
  return {
    get size() {
      return size;
    },
    append(leaf) {
      let hash = leaf;
      let width = 1;
      while (sizes.length > 0 && sizes[sizes.length - 1] === width) {
        hash = nodeHash(hashes.pop()!, hash);
        sizes.pop();
        width *= 2;
      }
      hashes.push(hash);
      sizes.push(width);
      size += 1;
    },
    root() {
      if (hashes.length === 0) return emptyRootHash();
      return foldRight(hashes);
    },
  };
}

/**
 * The Merkle Tree Hash MTH(D[n]) of RFC 9162 §2.1.1 over already hashed leaves.
 *
 * @example
 * rootHash(records.map((r) => leafHash(canonicalRecord(r))));
 */
export function rootHash(leafHashes: readonly Uint8Array[]): Uint8Array {
  const tree = createTreeBuilder();
  for (const leaf of leafHashes) tree.append(leaf);
  return tree.root();
}

/**
 * The inclusion proof PATH(index, D[size]) of RFC 9162 §2.1.3.1, computed from all leaf hashes in
 * memory (O(size)); for exports and tests. The gateway takes proofs from the tree store instead.
 *
 * @example
 * const proof = inclusionProof(leaves, 5);
 * verifyInclusion({ leafIndex: 5, treeSize: leaves.length, leafHash: leaves[5], proof, root: rootHash(leaves) });
 */
export function inclusionProof(
  leafHashes: readonly Uint8Array[],
  index: number,
  size: number = leafHashes.length,
): Uint8Array[] {
  return rangeHashes(leafHashes, inclusionRanges(index, size), size);
}

/**
 * The consistency proof PROOF(oldSize, D[newSize]) of RFC 9162 §2.1.4.1, computed from all leaf
 * hashes in memory (O(newSize)).
 */
export function consistencyProof(
  leafHashes: readonly Uint8Array[],
  oldSize: number,
  newSize: number = leafHashes.length,
): Uint8Array[] {
  return rangeHashes(leafHashes, consistencyRanges(oldSize, newSize), newSize);
}

/** Combines perfect subtree hashes, left to right, into the MTH of the range they cover. */
export function foldRight(subtreeHashes: readonly Uint8Array[]): Uint8Array {
  let hash = subtreeHashes[subtreeHashes.length - 1];
  if (!hash) throw new TypeError('foldRight needs at least one hash');
  for (let i = subtreeHashes.length - 2; i >= 0; i--) hash = nodeHash(subtreeHashes[i]!, hash);
  return hash;
}

function rangeHashes(leafHashes: readonly Uint8Array[], ranges: LeafRange[], size: number): Uint8Array[] {
  if (size > leafHashes.length) {
    throw new EinmalError('Audit.RangeError', { detail: { size, leaves: leafHashes.length } });
  }
  return ranges.map((range) => rootHash(leafHashes.slice(range.start, range.end)));
}

function digest(hash: ReturnType<typeof createHash>): Uint8Array {
  const bytes = hash.digest();
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
