import { EinmalError } from '../core/errors/index.ts';
import { equalHashes, isHash } from '../protocol/index.ts';
import { emptyRootHash, nodeHash } from './merkle.ts';

/** No tree of at most 2^53 leaves has a proof longer than this. */
const MAX_PROOF_LENGTH = 64;

/** What an inclusion proof claims: the leaf `leafHash` sits at `leafIndex` in the tree `root` of `treeSize`. */
export interface InclusionClaim {
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly leafHash: Uint8Array;
  readonly proof: readonly Uint8Array[];
  readonly root: Uint8Array;
}

/** What a consistency proof claims: the tree `oldRoot` of `oldSize` is a prefix of the tree `newRoot`. */
export interface ConsistencyClaim {
  readonly oldSize: number;
  readonly newSize: number;
  readonly oldRoot: Uint8Array;
  readonly newRoot: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

/**
 * Verifies an inclusion proof exactly as RFC 9162 §2.1.3.2 describes; returns normally when it
 * holds and throws `Audit.InvalidProof` otherwise (also for malformed sizes or hashes).
 *
 * @example
 * verifyInclusion({ leafIndex: 3, treeSize: 7, leafHash: leaf, proof, root: checkpointRoot });
 */
export function verifyInclusion(claim: InclusionClaim): void {
  const { leafIndex, treeSize, leafHash, proof, root } = claim;
  checkCount(leafIndex, 'leafIndex');
  checkCount(treeSize, 'treeSize');
  checkHashes(proof, [leafHash, root]);
  // 1. If leaf_index >= tree_size, fail.
  if (leafIndex >= treeSize) throw invalid('leaf index outside the tree');
  // 2.-3.
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash;
  // 4. (fn and sn may exceed 2^32, so shifts are divisions.)
  for (const p of proof) {
    if (sn === 0) throw invalid('proof too long');
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 5.
  if (sn !== 0) throw invalid('proof too short');
  if (!equalHashes(r, root)) throw invalid('root mismatch');
}

/**
 * Verifies a consistency proof exactly as RFC 9162 §2.1.4.2 describes for 0 < oldSize < newSize;
 * throws `Audit.InvalidProof` when it does not hold. Outside that range (which §2.1.4.2 leaves
 * open) the proof must be empty, and for equal sizes the roots must be equal; from the empty tree
 * (oldSize 0, whose root is SHA-256 of nothing) every tree is consistent.
 *
 * @example
 * verifyConsistency({ oldSize: witnessed.size, newSize: next.size, oldRoot, newRoot, proof });
 */
export function verifyConsistency(claim: ConsistencyClaim): void {
  const { oldSize, newSize, oldRoot, newRoot, proof } = claim;
  checkCount(oldSize, 'oldSize');
  checkCount(newSize, 'newSize');
  checkHashes(proof, [oldRoot, newRoot]);
  if (oldSize > newSize) throw invalid('the new tree is smaller than the old one');
  if (oldSize === 0 || oldSize === newSize) {
    if (proof.length !== 0) throw invalid('proof must be empty');
    if (oldSize === 0 && !equalHashes(oldRoot, emptyRootHash())) throw invalid('old root mismatch');
    if (oldSize === newSize && !equalHashes(oldRoot, newRoot)) throw invalid('root mismatch');
    return;
  }
  // 1. If consistency_path is an empty array, fail.
  if (proof.length === 0) throw invalid('proof must not be empty');
  // 2. If first is an exact power of 2, prepend first_hash.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  // 3.
  let fn = oldSize - 1;
  let sn = newSize - 1;
  // 4.
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 5.
  let fr = path[0]!;
  let sr = path[0]!;
  // 6.
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) throw invalid('proof too long');
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 7.
  if (sn !== 0) throw invalid('proof too short');
  if (!equalHashes(fr, oldRoot)) throw invalid('old root mismatch');
  if (!equalHashes(sr, newRoot)) throw invalid('new root mismatch');
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

function checkCount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${name} must be a non-negative integer`);
}

function checkHashes(proof: readonly Uint8Array[], others: readonly Uint8Array[]): void {
  if (!Array.isArray(proof) || proof.length > MAX_PROOF_LENGTH) throw invalid('malformed proof');
  for (const hash of proof) if (!isHash(hash)) throw invalid('malformed proof hash');
  for (const hash of others) if (!isHash(hash)) throw invalid('malformed hash');
}

function invalid(reason: string): EinmalError {
  return new EinmalError('Audit.InvalidProof', { detail: reason });
}
