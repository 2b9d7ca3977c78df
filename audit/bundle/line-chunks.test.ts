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

async function runs(text: string, size: number): Promise<string[]> {
  const path = join(dir, 'records.ndjson');
  await writeFile(path, text);
  const out: string[] = [];
  for await (const bytes of readLineChunks(path, size)) out.push(Buffer.from(bytes).toString('latin1'));
  return out;
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
          for (const run of read.slice(0, -1)) expect(run.endsWith('\n')).toBe(true);
          for (const run of read) expect(run.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
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
