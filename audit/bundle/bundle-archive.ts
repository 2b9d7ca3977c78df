import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { EinmalError } from '../../core/index.ts';
import { BUNDLE_FILES } from './bundle-format.ts';

/**
 * A bundle directory as one file to download: a POSIX ustar archive (`tar xf` unpacks it) of the
 * bundle's four files under one folder. Reading accepts exactly those files and nothing else, so
 * an archive from anywhere can be unpacked without writing outside the target directory.
 */
const BLOCK = 512;
const FILE_NAMES: readonly string[] = [
  BUNDLE_FILES.manifest,
  BUNDLE_FILES.checkpoints,
  BUNDLE_FILES.certificates,
  BUNDLE_FILES.records,
];
/** A plain folder name: never `.` or `..`, never a separator. */
const FOLDER = /^(?!\.\.?$)[A-Za-z0-9._-]{1,64}$/;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, size: number, mtime: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, 'utf8');
  block.write(octal(0o644, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(size, 12), 124, 'ascii');
  block.write(octal(mtime, 12), 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write('0', 156, 'ascii');
  block.write('ustar\x0000', 257, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

/**
 * Streams the bundle in `dir` as a ustar archive whose files sit under `folder/`. The records file
 * is streamed, never held in memory.
 *
 * @example
 * Readable.toWeb(writeBundleArchive(bundleDir, 'einmal-audit-munich-gw1')).pipeTo(response);
 */
export function writeBundleArchive(dir: string, folder: string): Readable {
  if (!FOLDER.test(folder)) throw new TypeError(`'${folder}' is not a plain folder name`);
  async function* blocks(): AsyncGenerator<Uint8Array> {
    const mtime = Math.floor(Date.now() / 1000);
    for (const name of FILE_NAMES) {
      const path = join(dir, name);
      const { size } = await stat(path);
      yield header(`${folder}/${name}`, size, mtime);
      let written = 0;
      for await (const chunk of createReadStream(path)) {
        written += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (written !== size) throw new Error(`${name} changed while it was archived`);
      if (size % BLOCK !== 0) yield Buffer.alloc(BLOCK - (size % BLOCK));
    }
    yield Buffer.alloc(2 * BLOCK);
  }
  return Readable.from(blocks(), { objectMode: false });
}

function invalid(message: string): EinmalError {
  return new EinmalError('Audit.InvalidBundle', { message: `The bundle archive is invalid: ${message}` });
}

function readHeader(block: Buffer): { name: string; size: number; type: string } {
  const expected = Number.parseInt(block.toString('ascii', 148, 156).replace(/\0.*$/s, '').trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  if (!Number.isSafeInteger(expected) || sum !== expected) throw invalid('a header checksum does not match');
  const text = (from: number, to: number) => block.toString('utf8', from, to).replace(/\0.*$/s, '');
  const prefix = text(345, 500);
  const name = prefix ? `${prefix}/${text(0, 100)}` : text(0, 100);
  const sizeText = text(124, 136).trim();
  if (!/^[0-7]{1,11}$/.test(sizeText)) throw invalid('a file size is malformed');
  return { name, size: Number.parseInt(sizeText, 8), type: block.toString('ascii', 156, 157) };
}

/** The bundle file an archive entry stands for, or a refusal; folders yield `null`. */
function bundleFileOf(name: string, type: string): string | null {
  const parts = name.split('/').filter((part) => part.length > 0);
  if (type === '5') {
    if (parts.length === 1 && FOLDER.test(parts[0]!)) return null;
    throw invalid(`unexpected folder '${name.slice(0, 80)}'`);
  }
  if (type !== '0' && type !== '\0') throw invalid(`'${name.slice(0, 80)}' is not a regular file`);
  const file = parts.at(-1) ?? '';
  const folderOk = parts.length === 1 || (parts.length === 2 && FOLDER.test(parts[0]!));
  if (!folderOk || !FILE_NAMES.includes(file)) throw invalid(`unexpected entry '${name.slice(0, 80)}'`);
  return file;
}

/**
 * Unpacks a bundle archive into `dir` (created), accepting only the bundle's four files, each once,
 * at most `maxBytes` in all. Anything else is `Audit.InvalidBundle`. Reports bytes read so far.
 *
 * @example
 * await extractBundleArchive(Readable.fromWeb(response.body), dir, { maxBytes: 2 ** 34 });
 */
export async function extractBundleArchive(
  source: AsyncIterable<Uint8Array>,
  dir: string,
  options: { readonly maxBytes: number; readonly onProgress?: (bytes: number) => void },
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const seen = new Set<string>();
  let pending = Buffer.alloc(0);
  let total = 0;
  let ended = false;
  /** The file being written and how many of its bytes (and padding) are still to come. */
  let current: { out: WriteStream | null; left: number; padding: number } | undefined;

  const closeCurrent = async () => {
    if (current?.out) {
      current.out.end();
      await once(current.out, 'close');
    }
    current = undefined;
  };

  try {
    for await (const chunk of source) {
      total += chunk.length;
      if (total > options.maxBytes) throw invalid('it is larger than allowed');
      options.onProgress?.(total);
      pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
      while (!ended) {
        if (current) {
          if (current.left > 0) {
            if (pending.length === 0) break;
            const take = Math.min(current.left, pending.length);
            if (current.out && !current.out.write(pending.subarray(0, take)))
              await once(current.out, 'drain');
            pending = pending.subarray(take);
            current.left -= take;
            continue;
          }
          if (pending.length < current.padding) break;
          pending = pending.subarray(current.padding);
          await closeCurrent();
          continue;
        }
        if (pending.length < BLOCK) break;
        const block = pending.subarray(0, BLOCK);
        pending = pending.subarray(BLOCK);
        if (block.every((byte) => byte === 0)) {
          ended = true;
          break;
        }
        const entry = readHeader(block);
        const file = bundleFileOf(entry.name, entry.type);
        const padding = (BLOCK - (entry.size % BLOCK)) % BLOCK;
        if (file === null) {
          current = { out: null, left: entry.size, padding };
          continue;
        }
        if (seen.has(file)) throw invalid(`'${file}' appears twice`);
        seen.add(file);
        current = { out: createWriteStream(join(dir, file)), left: entry.size, padding };
      }
    }
  } finally {
    await closeCurrent();
  }
  const missing = FILE_NAMES.filter((name) => !seen.has(name));
  if (!ended || missing.length > 0) {
    throw invalid(missing.length > 0 ? `${missing.join(', ')} missing` : 'it ends early');
  }
}
