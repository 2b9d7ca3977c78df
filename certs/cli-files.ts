import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EinmalError } from '../core/errors/index.ts';

/** Reads a text file the user named; a missing one is `Config.FileMissing` naming it. */
export async function readInputFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new EinmalError('Config.FileMissing', { message: `Cannot read ${path}`, cause });
  }
}

/**
 * Writes an output file, creating its folder; refuses (`Config.FileExists`) to replace an existing
 * file unless `force`. Private keys are written with `mode: 0o600`.
 */
export async function writeOutputFile(
  path: string,
  content: string,
  options: { mode?: number; force?: boolean } = {},
): Promise<void> {
  const mode = options.mode ?? 0o644;
  if (
    !options.force &&
    (await stat(path).then(
      () => true,
      () => false,
    ))
  ) {
    throw new EinmalError('Config.FileExists', {
      message: `${path} already exists (use --force to replace it)`,
    });
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content, { mode });
  await chmod(path, mode);
}
