import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { loadConfig } from './config.ts';
import { EinmalError } from './errors/index.ts';

/**
 * Parses a small JSON document an operator hands a command (a config file, a description) and
 * validates it with `schema`: `Config.Invalid` lists every problem by key, as {@link loadConfig} does.
 *
 * @example parseJsonDocument(text, adapterConfigSchema, 'the adapter config adapter.json')
 */
export function parseJsonDocument<S extends z.ZodType>(text: string, schema: S, what: string): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new EinmalError('Config.Invalid', { message: `${what} is not JSON` });
  }
  try {
    return loadConfig(schema, raw as Record<string, unknown>);
  } catch (error) {
    if (error instanceof EinmalError)
      throw new EinmalError('Config.Invalid', { message: `${what}: ${error.message}` });
    throw error;
  }
}

/**
 * Reads and validates a JSON file; a file that cannot be read is `Config.FileMissing`.
 *
 * @example readJsonFile('adapter.json', adapterConfigSchema, 'the adapter config adapter.json')
 */
export function readJsonFile<S extends z.ZodType>(path: string, schema: S, what: string): z.output<S> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new EinmalError('Config.FileMissing', { message: `cannot read ${what}` });
  }
  return parseJsonDocument(text, schema, what);
}
