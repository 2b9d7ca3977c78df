import { isAscii } from 'node:buffer';
import { alignedSubtrees } from '../merkle.ts';
import { MAX_RECORD_LINE } from './bundle-format.ts';
import type { PairingFields } from './exchange-pairing.ts';
import { checkCanonicalRecord, checkRecordText } from './record-checks.ts';
import { readExportedLine } from './record-line.ts';
import { type RecordLine, validateRecordLine } from './record-validate.ts';
import type { SignatureTrust } from './signature-trust.ts';

/** Marks a line that is too long in {@link ChunkResult.indices}. */
export const LINE_TOO_LONG = -1;
/** Marks a line that is not `{index, canonical, leaf}` in {@link ChunkResult.indices}. */
export const NOT_A_RECORD_LINE = -2;

/** The outcome of checking a run of `records.ndjson` lines, in line order. */
export interface ChunkResult {
  /** Lines in the chunk. */
  readonly lines: number;
  /** Per line: the leaf index it claims, or {@link LINE_TOO_LONG} / {@link NOT_A_RECORD_LINE}. */
  readonly indices: Float64Array;
  /** Per line, 32 bytes: the leaf to append (zeros for lines that are not records). */
  readonly leaves: Uint8Array;
  /** Problems of the records, `line` counted from 0 within the chunk, in line order. */
  readonly problems: { readonly line: number; readonly field: string; readonly message: string }[];
  readonly signatures: number;
  /** Records pruned past the retention period: their leaf hash alone. */
  readonly pruned: number;
  /** Per record that parsed, when pairing was asked for: its line within the chunk and fields. */
  readonly pairs: { readonly line: number; readonly record: PairingFields }[] | null;
  /**
   * When every line is a record and their indices run on without a gap from the first line's,
   * the chunk's leaves as the largest aligned perfect subtrees (see `alignedSubtrees`): `hashes`
   * back to back, `widths` their leaf counts. The caller may append these instead of the leaves
   * where the tree's size is `first`; the tree is the same. Null otherwise.
   */
  readonly subtrees: {
    readonly first: number;
    readonly hashes: Uint8Array;
    readonly widths: Float64Array;
  } | null;
}

/**
 * Checks a run of whole `records.ndjson` lines (what `checkRecord` checks, per line), split
 * as `readline` splits: at LF, CRLF and lone CR; a final newline ends the last line. Runs in the
 * verifier's worker threads or, with no workers, in the calling thread.
 *
 * @example
 * const result = checkRecordChunk(text, trust, false);
 */
export function checkRecordChunk(
  text: string,
  trust: SignatureTrust | undefined,
  withPairs: boolean,
): ChunkResult {
  const lines = splitLines(text);
  const indices = new Float64Array(lines.length);
  const leaves = new Uint8Array(lines.length * 32);
  const problems: ChunkResult['problems'][number][] = [];
  const pairs: { line: number; record: PairingFields }[] | null = withPairs ? [] : null;
  let signatures = 0;
  let pruned = 0;
  // Leaves are written as the base64 they were checked as (stored, or computed when none was).
  const leafBytes = Buffer.from(leaves.buffer, leaves.byteOffset, leaves.byteLength);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length > MAX_RECORD_LINE) {
      indices[i] = LINE_TOO_LONG;
      continue;
    }
    const exported = readExportedLine(line);
    let entry: RecordLine | undefined = exported;
    if (entry === undefined) {
      try {
        entry = validateRecordLine(JSON.parse(line));
      } catch {}
    }
    if (entry === undefined) {
      indices[i] = NOT_A_RECORD_LINE;
      continue;
    }
    indices[i] = entry.index;
    if (entry.canonical === null) {
      leafBytes.write(entry.leaf!, i * 32, 32, 'base64');
      pruned += 1;
      continue;
    }
    const checked = exported
      ? checkCanonicalRecord({
          canonical: exported.canonical,
          storedLeaf: exported.leaf,
          trust,
          parsed: exported.record,
        })
      : checkRecordText({ canonical: entry.canonical, storedLeaf: entry.leaf, trust });
    for (const p of checked.problems) problems.push({ line: i, field: p.field, message: p.message });
    signatures += checked.signatures;
    leafBytes.write(checked.leaf, i * 32, 32, 'base64');
    if (pairs && checked.record) {
      const { outcome, side, messageId, client, service, subject, requestDigest } = checked.record;
      pairs.push({
        line: i,
        record: { outcome, side, messageId, client, service, subject, requestDigest },
      });
    }
  }
  return {
    lines: lines.length,
    indices,
    leaves,
    problems,
    signatures,
    pruned,
    pairs,
    subtrees: subtreesOf(indices, leaves),
  };
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The text of a chunk of `records.ndjson` bytes, decoded as UTF-8 (a byte-order mark kept, so it
 * spoils the first line as it would any line). ASCII, what a log's records nearly always are,
 * reads the same in Latin-1 and is copied as is.
 *
 * @example
 * const result = checkRecordChunk(decodeRecordText(bytes), trust, false);
 */
export function decodeRecordText(bytes: Uint8Array): string {
  if (!isAscii(bytes)) return utf8.decode(bytes);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** The chunk's leaves as aligned subtrees, when its lines are records with consecutive indices. */
function subtreesOf(indices: Float64Array, leaves: Uint8Array): ChunkResult['subtrees'] {
  if (indices.length === 0) return null;
  const first = indices[0]!;
  for (let i = 0; i < indices.length; i++) if (indices[i] !== first + i) return null;
  const subtrees = alignedSubtrees(leaves, first, indices.length);
  const hashes = new Uint8Array(subtrees.length * 32);
  const widths = new Float64Array(subtrees.length);
  subtrees.forEach((subtree, i) => {
    hashes.set(subtree.hash, i * 32);
    widths[i] = subtree.width;
  });
  return { first, hashes, widths };
}

function splitLines(text: string): string[] {
  if (text.length === 0) return [];
  const pieces = text.split('\n');
  if (pieces.at(-1) === '') pieces.pop();
  if (!text.includes('\r')) return pieces;
  const lines: string[] = [];
  for (const piece of pieces) {
    if (!piece.includes('\r')) {
      lines.push(piece);
      continue;
    }
    const body = piece.endsWith('\r') ? piece.slice(0, -1) : piece;
    lines.push(...body.split('\r'));
  }
  return lines;
}
