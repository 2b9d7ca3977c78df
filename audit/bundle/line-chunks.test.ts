import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLineChunks } from './line-chunks.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'einmal-line-chunks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runs(text: string, size: number, longestLine?: number): Promise<string[]> {
  const path = join(dir, 'records.ndjson');
  await writeFile(path, text);
  const out: string[] = [];
  for await (const bytes of readLineChunks(path, size, longestLine)) {
    out.push(Buffer.from(bytes).toString('latin1'));
  }
  return out;
}

/** Lines as the record checker splits them: at LF, CRLF and lone CR; a final line end ends the last line. */
function linesOf(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (/[\r\n]$/.test(text) || text === '') lines.pop();
  return lines;
}

describe('a file read as runs of whole lines', () => {
  it('gives the file back in runs that each end at a line end, but a last line without one', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', '\r', '\n'), maxLength: 40 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 16 }),
        async (pieces, size) => {
          const text = pieces.join('\n');
          const read = await runs(text, size);
          expect(read.join('')).toBe(text);
          for (const run of read.slice(0, -1)) expect(/[\r\n]$/.test(run)).toBe(true);
          for (const run of read) expect(run.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ends runs only at line ends, never between the CR and LF of a CRLF, and cuts only lines over the bound', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: fc.constantFrom('a', 'b', 'a', 'b', '\r', '\n'), maxLength: 120 }),
        fc.integer({ min: 1, max: 16 }),
        fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
        async (text, size, longestLine) => {
          const read = await runs(text, size, longestLine);
          // Each run holds whole lines: splitting the runs one by one gives the lines of the whole.
          const lines = read.flatMap(linesOf);
          const expected = linesOf(text);
          expect(lines.length).toBe(expected.length);
          lines.forEach((line, i) => {
            const original = expected[i]!;
            if (longestLine === undefined || original.length <= longestLine + 1) expect(line).toBe(original);
            // A line over the bound may be cut to its first longestLine + 1 bytes, never shorter.
            else expect([original, original.slice(0, longestLine + 1)]).toContain(line);
          });
          for (let i = 0; i + 1 < read.length; i++) {
            expect(read[i]!.endsWith('\r') && read[i + 1]!.startsWith('\n')).toBe(false);
          }
          for (const run of read) expect(run.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('holds no more than the bound of a huge line without a line end', async () => {
    const huge = 'x'.repeat(8 << 20);
    expect(await runs(huge, 1 << 16, 1000)).toEqual(['x'.repeat(1001)]);
    // The line after a cut one is read whole, whichever way the cut line ends.
    for (const end of ['\n', '\r\n', '\r']) {
      expect((await runs(`${huge}${end}{"index":0}${end}`, 1 << 16, 1000)).join('')).toBe(
        `${'x'.repeat(1001)}${end}{"index":0}${end}`,
      );
    }
  });

  it('keeps a line longer than a run whole', async () => {
    const long = 'x'.repeat(50);
    const read = await runs(`a\n${long}\nb\n`, 8);
    expect(read.join('')).toBe(`a\n${long}\nb\n`);
    expect(read.some((run) => run.includes(`\n${long}\n`) || run.startsWith(`${long}\n`))).toBe(true);
    expect(await runs(long, 8)).toEqual([long]);
    expect(await runs('', 8)).toEqual([]);
  });

  it('refuses a missing file with ENOENT', async () => {
    const missing = readLineChunks(join(dir, 'missing.ndjson'), 8);
    await expect(missing.next()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
