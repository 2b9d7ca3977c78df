import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { EinmalError, type Logger, readJsonFile } from '../core/index.ts';
import { type AdapterDefinition, resolveAdapter } from './sdk/index.ts';

/**
 * The small config file `einmal adapter serve adapter.json` reads instead of options: the adapter
 * module and how to serve it. Relative paths are relative to the file.
 */
export const adapterConfigSchema = z.strictObject({
  /** The adapter module, e.g. `./adapter.js`. */
  adapter: z.string().min(1),
  port: z.number().int().min(0).max(65_535).optional(),
  host: z.string().min(1).max(255).optional(),
  /** PEM files: the adapter's certificate and key, the federation CA, the provider gateway's certificate. */
  tls: z
    .strictObject({
      cert: z.string().min(1),
      key: z.string().min(1),
      ca: z.string().min(1),
      gatewayCert: z.string().min(1),
    })
    .optional(),
  /** Development only: plain HTTP on a loopback address. */
  plainHttp: z.boolean().optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
});

export type AdapterConfig = z.output<typeof adapterConfigSchema>;

/** Whether the command line names a config file rather than an adapter module. */
export const isAdapterConfigFile = (path: string): boolean => extname(path).toLowerCase() === '.json';

/**
 * Reads an adapter config file, with its paths made absolute.
 *
 * @example readAdapterConfig('deploy/adapter.json').adapter // '/srv/dogs/dist/adapter.js'
 */
export function readAdapterConfig(path: string): AdapterConfig {
  const config = readJsonFile(path, adapterConfigSchema, `the adapter config ${path}`);
  const base = dirname(resolve(path));
  const at = (file: string) => resolve(base, file);
  return {
    ...config,
    adapter: at(config.adapter),
    ...(config.tls
      ? {
          tls: {
            cert: at(config.tls.cert),
            key: at(config.tls.key),
            ca: at(config.tls.ca),
            gatewayCert: at(config.tls.gatewayCert),
          },
        }
      : {}),
  };
}

/**
 * Imports an adapter module and builds its adapter from the default export (an adapter, or a
 * function returning one). A module that cannot be loaded or exports no adapter is a usage error
 * that says which.
 *
 * @example const adapter = await loadAdapterModule('./dist/adapter.js', log);
 */
export async function loadAdapterModule(path: string, log: Logger): Promise<AdapterDefinition> {
  const url = pathToFileURL(resolve(path)).href;
  let module: { default?: unknown };
  try {
    module = await import(url);
  } catch (error) {
    throw new EinmalError('Cli.Usage', {
      message: `cannot load the adapter module ${path}: ${(error as Error).message?.split('\n')[0] ?? error}`,
      cause: error,
    });
  }
  try {
    return await resolveAdapter(module.default, { log });
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new EinmalError('Cli.Usage', { message: `${path}: ${error.message}`, cause: error });
  }
}
