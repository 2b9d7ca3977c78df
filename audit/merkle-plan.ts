import { EinmalError } from '../core/errors/index.ts';

/** The leaves `[start, end)` of a tree, whose MTH (RFC 9162 §2.1.1) a proof element is. */
export interface LeafRange {
  readonly start: number;
  readonly end: number;
}

/**
 * A perfect subtree: the `2^level` leaves starting at `index * 2^level`. Level 0 is a leaf. These are
 * the nodes the tree store keeps; every subtree that is complete in the log has one.
 */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/**
 * The leaf ranges whose hashes make up the inclusion proof PATH(index, D[size]) of RFC 9162
 * §2.1.3.1, in proof order (nearest the leaf first).
 *
 * @example
 * inclusionRanges(2, 7); // [{ start: 3, end: 4 }, { start: 0, end: 2 }, { start: 4, end: 7 }]
 */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  assertCount(size, 'size');
  assertCount(index, 'index');
  if (index >= size) throw new EinmalError('Audit.RangeError', { detail: { index, size } });
  const ranges: LeafRange[] = [];
  let start = 0;
  let end = size;
  let m = index;
  // The recursion of §2.1.3.1 unrolled from the root; the proof lists the leaf's side first.
  while (end - start > 1) {
    const k = largestPowerOfTwoBelow(end - start);
    if (m < k) {
      ranges.push({ start: start + k, end });
      end = start + k;
    } else {
      ranges.push({ start, end: start + k });
      start += k;
      m -= k;
    }
  }
  return ranges.reverse();
}

/**
 * The leaf ranges whose hashes make up the consistency proof PROOF(oldSize, D[newSize]) of RFC 9162
 * §2.1.4.1, in proof order. Empty when `oldSize` is 0 or equals `newSize`.
 *
 * @example
 * consistencyRanges(3, 7); // [{ start: 2, end: 3 }, { start: 3, end: 4 }, { start: 0, end: 2 }, { start: 4, end: 7 }]
 */
export function consistencyRanges(oldSize: number, newSize: number): LeafRange[] {
  assertCount(oldSize, 'oldSize');
  assertCount(newSize, 'newSize');
  if (oldSize > newSize) throw new EinmalError('Audit.RangeError', { detail: { oldSize, newSize } });
  if (oldSize === 0 || oldSize === newSize) return [];
  const ranges: LeafRange[] = [];
  let start = 0;
  let end = newSize;
  let m = oldSize;
  // SUBPROOF(m, D[start:end], whole) of §2.1.4.1, unrolled; `whole` stays true while the old tree
  // is a prefix subtree of the current range.
  let whole = true;
  while (m !== end - start) {
    const k = largestPowerOfTwoBelow(end - start);
    if (m <= k) {
      ranges.push({ start: start + k, end });
      end = start + k;
    } else {
      ranges.push({ start, end: start + k });
      start += k;
      m -= k;
      whole = false;
    }
  }
  if (!whole) ranges.push({ start, end });
  return ranges.reverse();
}

/**
 * Splits a leaf range that occurs in the MTH recursion into the perfect subtrees it is built from,
 * left to right. Its MTH is the right fold of their hashes: `node(h0, node(h1, ... hk))`.
 * (Every such range starts at a multiple of the smallest power of two ≥ its length, so the split
 * follows the binary digits of its length.)
 *
 * @example
 * perfectSubtrees({ start: 0, end: 7 }); // [{ level: 2, index: 0 }, { level: 1, index: 2 }, { level: 0, index: 6 }]
 */
export function perfectSubtrees(range: LeafRange): NodeId[] {
  const nodes: NodeId[] = [];
  let start = range.start;
  let remaining = range.end - range.start;
  while (remaining > 0) {
    let width = largestPowerOfTwoAtMost(remaining);
    while (start % width !== 0) width /= 2;
    nodes.push({ level: Math.log2(width), index: start / width });
    start += width;
    remaining -= width;
  }
  return nodes;
}

/**
 * The perfect subtrees a tree of `size` leaves is built from (its "frontier"), left to right.
 * Appending to the tree only ever needs these as left siblings.
 */
export function frontier(size: number): NodeId[] {
  return perfectSubtrees({ start: 0, end: size });
}

/** The largest power of two strictly below `n` (n ≥ 2): the split point `k` of RFC 9162 §2.1.1. */
export function largestPowerOfTwoBelow(n: number): number {
  return largestPowerOfTwoAtMost(n - 1);
}

function largestPowerOfTwoAtMost(n: number): number {
  // Exact for every safe integer: Math.log2 of a power of two is exact, and the correction below
  // covers rounding just under a power of two.
  let p = 2 ** Math.floor(Math.log2(n));
  if (p > n) p /= 2;
  else if (p * 2 <= n) p *= 2;
  return p;
}

function assertCount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new EinmalError('Audit.RangeError', { detail: `${name} must be a non-negative integer` });
  }
}
