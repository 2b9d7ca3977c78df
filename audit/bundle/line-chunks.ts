import { open } from 'node:fs/promises';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Reads a file as runs of whole lines, up to about `size` bytes each. Lines end as the record
 * checker splits them (`readline`'s way): at LF, CRLF or a lone CR; a run never ends between the
 * CR and LF of a CRLF, and a last line may have no end. Every run is read straight into a buffer of
 * its own, so a receiver may keep it or transfer it to a worker thread; only the part-line at its
 * end is copied, to start the next run. A line longer than `size` makes a longer run, read once
 * however long.
 *
 * `longestLine` bounds what a hostile file can make the reader hold: a line of more bytes than that
 * is cut to its first `longestLine + 1` bytes and the rest of it skipped, its line end kept. Give a
 * bound that every cut line still exceeds after decoding (UTF-8 takes at most 3 bytes per UTF-16
 * unit), so that it is refused as too long either way and every other line is read unchanged.
 *
 * @example
 * for await (const bytes of readLineChunks(path, 1 << 20, 3 * MAX_RECORD_LINE)) check(bytes);
 */
export async function* readLineChunks(
  path: string,
  size: number,
  longestLine = Number.POSITIVE_INFINITY,
): AsyncGenerator<Uint8Array> {
  const file = await open(path, 'r');
  try {
    // buffer[0, filled) is the start of one line: no line end in it, but maybe a last CR whose
    // next byte is not read yet. One byte more than a read is always free (see `skipRest`).
    let buffer = new Uint8Array(size + 1);
    let filled = 0;
    // The line was cut: the rest of it is skipped up to its end; `pendingCr`: the last byte
    // skipped was a CR, whose next byte decides whether it ended the line.
    let cut = false;
    let pendingCr = false;
    for (;;) {
      if (buffer.length - filled < size + 1) {
        const grown = new Uint8Array(Math.max(2 * buffer.length, filled + size + 1));
        grown.set(buffer.subarray(0, filled));
        buffer = grown;
      }
      const { bytesRead } = await file.read(buffer, filled, size, null);
      if (bytesRead === 0) {
        if (filled > 0) yield buffer.subarray(0, filled);
        return;
      }
      let end = filled + bytesRead;
      if (cut) {
        end = skipRest(buffer, filled, end, pendingCr);
        pendingCr = end < 0;
        if (end < 0 || end === filled) {
          end = filled;
          continue;
        }
        cut = false;
      }
      // A CR left last by the previous read ends a line if this read does not start with an LF.
      const last = lastLineEnd(buffer, Math.max(0, filled - 1), end);
      let run: Uint8Array | undefined;
      if (last < 0) {
        filled = end;
      } else {
        run = buffer.subarray(0, last + 1);
        const rest = buffer.slice(last + 1, end);
        buffer = new Uint8Array(Math.max(size, rest.length + size) + 1);
        buffer.set(rest);
        filled = rest.length;
      }
      if (filled > longestLine + 1) {
        // Only the last byte can be a line end (a CR waiting for its next byte).
        pendingCr = buffer[filled - 1] === CR;
        filled = longestLine + 1;
        cut = true;
      }
      if (run) yield run;
    }
  } finally {
    await file.close();
  }
}

/**
 * Skips, in buffer[from, to) just read, the rest of a cut line, and moves its line end and what
 * follows to `from`. Returns the new end of the buffer's content; `from` when the whole read was
 * skipped; -1 when it was skipped but ends in a CR whose next byte is not read yet. With
 * `pendingCr`, the byte before `from` (skipped) was such a CR.
 */
function skipRest(buffer: Uint8Array, from: number, to: number, pendingCr: boolean): number {
  if (pendingCr) {
    // CRLF: the line ends at the LF. A lone CR: put it back before what follows.
    if (buffer[from] === LF) return to;
    buffer.copyWithin(from + 1, from, to);
    buffer[from] = CR;
    return to + 1;
  }
  for (let i = from; i < to; i++) {
    const byte = buffer[i];
    if (byte !== LF && byte !== CR) continue;
    if (byte === CR && i + 1 === to) return -1;
    buffer.copyWithin(from, i, to);
    return to - (i - from);
  }
  return from;
}

/**
 * The index of the last byte of buffer[from, to) that ends a line: an LF, or a CR whose next byte
 * is read and is not an LF; -1 if there is none.
 */
function lastLineEnd(buffer: Uint8Array, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) {
    const byte = buffer[i];
    if (byte === LF) return i;
    if (byte === CR && i + 1 < to && buffer[i + 1] !== LF) return i;
  }
  return -1;
}
