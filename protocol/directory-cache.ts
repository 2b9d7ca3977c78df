import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The last good signed directory, as received (the compact JWS). Reading returns `undefined` when
 * there is none yet; whatever is there is verified again by the caller before it is used.
 *
 * @example
 * const jws = await readCachedDirectory('/var/lib/einmal/directory.jws');
 */
export async function readCachedDirectory(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Replaces the cached directory atomically (write a temporary file, then rename over the old one),
 * so a crash mid-write leaves the previous good directory, never a torn one.
 *
 * @example
 * await writeCachedDirectory(cacheFile, jws);
 */
export async function writeCachedDirectory(file: string, jws: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, `${jws}\n`, { mode: 0o644, flush: true });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
