import { open } from 'node:fs/promises';

/**
 * Reads a file as runs of whole lines (each ending at an LF, except a last line without one), up
 * to about `size` bytes each. Every run is read straight into a buffer of its own, so a receiver
 * may keep it or transfer it to a worker thread; only the part-line at its end is copied, to
 * start the next run. A line longer than `size` makes a longer run.
 *
 * @example
 * for await (const bytes of readLineChunks(join(dir, 'records.ndjson'), 1 << 20)) check(bytes);
 */
export async function* readLineChunks(path: string, size: number): AsyncGenerator<Uint8Array> {
  const file = await open(path, 'r');
  try {
    let carry = new Uint8Array(0);
    for (;;) {
      const buffer = new Uint8Array(carry.length + size);
      buffer.set(carry);
      const { bytesRead } = await file.read(buffer, carry.length, size, null);
      const filled = carry.length + bytesRead;
      if (bytesRead === 0) {
        if (filled > 0) yield buffer.subarray(0, filled);
        return;
      }
      const end = buffer.lastIndexOf(0x0a, filled - 1);
      carry = buffer.slice(end + 1, filled);
      if (end >= 0) yield buffer.subarray(0, end + 1);
    }
  } finally {
    await file.close();
  }
}
