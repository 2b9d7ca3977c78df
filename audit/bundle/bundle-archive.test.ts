import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractBundleArchive, writeBundleArchive } from './bundle-archive.ts';

const FILES = {
  'manifest.json': '{"format":"einmal-audit-bundle/1"}\n',
  'checkpoints.json': '[]\n',
  'certificates.pem': '',
  'records.ndjson': `${'{"index":0}\n'.repeat(300)}`,
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'einmal-archive-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function archiveOf(files: Record<string, string>): Promise<Buffer> {
  const source = join(dir, 'source');
  await import('node:fs/promises').then((fs) => fs.mkdir(source));
  for (const [name, content] of Object.entries(files)) await writeFile(join(source, name), content);
  const chunks: Buffer[] = [];
  for await (const chunk of writeBundleArchive(source, 'einmal-audit-test')) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A ustar entry with a valid checksum, for archives a hostile server might send. */
function entry(name: string, content: string, type = '0'): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100);
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write(type, 156);
  header.write('ustar\x0000', 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const body = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  body.write(content);
  return Buffer.concat([header, body]);
}
const end = Buffer.alloc(1024);

const extract = (archive: Buffer, maxBytes = 1 << 20) =>
  extractBundleArchive(Readable.from([archive.subarray(0, 700), archive.subarray(700)]), join(dir, 'out'), {
    maxBytes,
  });

describe('bundle archives', () => {
  it('round-trips the four bundle files, in pieces of any size', async () => {
    await extract(await archiveOf(FILES));
    expect((await readdir(join(dir, 'out'))).sort()).toEqual(Object.keys(FILES).sort());
    for (const [name, content] of Object.entries(FILES)) {
      expect(await readFile(join(dir, 'out', name), 'utf8')).toBe(content);
    }
  });

  it('is an archive tar reads', async () => {
    const archive = await archiveOf(FILES);
    expect(archive.length % 512).toBe(0);
    expect(archive.toString('utf8', 0, 100).replace(/\0+$/, '')).toBe('einmal-audit-test/manifest.json');
    expect(archive.toString('ascii', 257, 262)).toBe('ustar');
  });

  it('refuses entries that would write elsewhere, unknown or repeated files, and links', async () => {
    const good = Object.entries(FILES).map(([name, content]) => entry(`b/${name}`, content));
    const cases: [Buffer, RegExp][] = [
      [Buffer.concat([entry('../manifest.json', '{}'), ...good, end]), /unexpected entry/],
      [Buffer.concat([entry('b/../../etc/passwd', 'x'), end]), /unexpected entry/],
      [Buffer.concat([entry('b/c/manifest.json', '{}'), end]), /unexpected entry/],
      [Buffer.concat([entry('b/evil.sh', 'x'), end]), /unexpected entry/],
      [Buffer.concat([...good, good[0]!, end]), /appears twice/],
      [Buffer.concat([entry('b/manifest.json', '', '2'), end]), /not a regular file/],
      [Buffer.concat([...good.slice(1), end]), /manifest.json missing/],
      [Buffer.concat(good), /ends early/],
    ];
    for (const [archive, message] of cases) {
      await expect(extract(archive), String(message)).rejects.toMatchObject({
        code: 'Audit.InvalidBundle',
        message,
      });
      await rm(join(dir, 'out'), { recursive: true, force: true });
    }
    const outside = await readdir(dir);
    expect(outside).toEqual([]);
  });

  it('refuses a broken header checksum and an archive larger than allowed', async () => {
    const archive = await archiveOf(FILES);
    const broken = Buffer.from(archive);
    broken[10] = broken[10]! ^ 1;
    await expect(extract(broken)).rejects.toThrow(/checksum/);
    await expect(extract(archive, 2048)).rejects.toThrow(/larger than allowed/);
  });
});
