import { createHash, hash } from 'node:crypto';
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

/** 0x01 ‖ left ‖ right of the node being hashed: one-shot `hash` costs about half a `createHash`. */
const nodeInput = Buffer.alloc(65, NODE_PREFIX[0]);

/** The hash of an interior node, RFC 9162 §2.1.1: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== 32 || right.length !== 32) {
    return digest(createHash('sha256').update(NODE_PREFIX).update(left).update(right));
  }
  nodeInput.set(left, 1);
  nodeInput.set(right, 33);
  return plain(hash('sha256', nodeInput, 'buffer'));
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
  /**
   * Appends the `width` leaves (a power of two, with the size a multiple of it) whose perfect
   * subtree hashes to `hash`: the same tree as appending them one by one, in O(log n).
   */
  appendSubtree(hash: Uint8Array, width: number): void;
  /** The MTH (RFC 9162 §2.1.1) of the leaves appended so far. */
  root(): Uint8Array;
}

/** Creates an empty {@link TreeBuilder}. */
export function createTreeBuilder(): TreeBuilder {
  // Perfect subtree hashes, largest first; `sizes[i]` is the leaf count of `hashes[i]`.
  const hashes: Uint8Array[] = [];
  const sizes: number[] = [];
  let size = 0;
  function appendSubtree(subtree: Uint8Array, leaves: number): void {
    if (
      !Number.isSafeInteger(leaves) ||
      leaves < 1 ||
      2 ** Math.round(Math.log2(leaves)) !== leaves ||
      size % leaves !== 0
    )
      throw new TypeError('a subtree must be a power of two wide and start at a multiple of its width');
    let hash = subtree;
    let width = leaves;
    // The stack holds the binary digits of `size`, largest first; equal neighbours merge.
    while (sizes.length > 0 && sizes[sizes.length - 1] === width) {
      hash = nodeHash(hashes.pop()!, hash);
      sizes.pop();
      width *= 2;
    }
    hashes.push(hash);
    sizes.push(width);
    size += leaves;
  }
  return {
    get size() {
      return size;
    },
    append: (leaf) => appendSubtree(leaf, 1),
    appendSubtree,
    root() {
      if (hashes.length === 0) return emptyRootHash();
      return foldRight(hashes);
    },
  };
}

/**
 * The leaves `[first, first + count)` of a tree as the largest aligned perfect subtrees, left to
 * right, each with its hash: what `TreeBuilder.appendSubtree` takes to append them all at once.
 * `leaves` holds the 32-byte leaf hashes back to back. A chunk of a log can be hashed this far
 * without the rest of the tree (in a worker thread) and joined in order later.
 *
 * @example
 * for (const { hash, width } of alignedSubtrees(leaves, tree.size, count)) tree.appendSubtree(hash, width);
 */
export function alignedSubtrees(
  leaves: Uint8Array,
  first: number,
  count: number,
): { hash: Uint8Array; width: number }[] {
  const subtrees: { hash: Uint8Array; width: number }[] = [];
  let at = 0;
  while (at < count) {
    const start = first + at;
    let width = 1;
    while (start % (width * 2) === 0 && at + width * 2 <= count) width *= 2;
    // The subtree's leaves, then each level over the one below, in place, up to its root. The
    // hashes pass as 'binary' (Latin-1) text, one character per byte: cheaper than a Buffer each.
    const level = Buffer.from(leaves.subarray(at * 32, (at + width) * 32));
    for (let nodes = width; nodes > 1; nodes /= 2) {
      for (let i = 0; i < nodes; i += 2) {
        level.copy(nodeInput, 1, i * 32, i * 32 + 64);
        level.write(hash('sha256', nodeInput, 'binary'), i * 16, 32, 'binary');
      }
    }
    subtrees.push({ hash: new Uint8Array(level.subarray(0, 32)), width });
    at += width;
  }
  return subtrees;
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

function digest(hasher: ReturnType<typeof createHash>): Uint8Array {
  return plain(hasher.digest());
}

function plain(bytes: Buffer): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
