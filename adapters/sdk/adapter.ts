import type { Logger } from 'pino';
import { type AdapterAppOptions, checkServices, createAdapterApp } from './app.ts';
import type { ServiceDefinition } from './define-service.ts';
import { type AdapterListening, type RunningAdapter, serveAdapter } from './server.ts';

/**
 * One adapter: the services it answers, how to tell whether it is ready, and what to release when it
 * stops. The default export of an adapter module (`einmal adapter serve ./adapter.js`), either as it
 * is or as a function that builds it (opening a database pool, reading the adapter's own settings).
 */
export interface AdapterDefinition {
  /** The registry's name, e.g. `Dog licence register`; the title of the OpenAPI document. */
  readonly title: string;
  readonly services: readonly ServiceDefinition[];
  /** Readiness probe for `/readyz`, e.g. whether the database answers. */
  readonly isReady?: () => Promise<boolean>;
  /** Releases what the adapter holds (a database pool) once the server has stopped. */
  readonly close?: () => Promise<void>;
}

/** What an adapter module's default export builds its adapter with. */
export interface AdapterModuleContext {
  /** The adapter's logger; never log personal data through it. */
  readonly log: Logger;
}

/** The default export of an adapter module: an adapter, or a function that builds one. */
export type AdapterModule =
  | AdapterDefinition
  | ((context: AdapterModuleContext) => AdapterDefinition | Promise<AdapterDefinition>);

/**
 * Declares an adapter. Declaration mistakes (no services, a service not made by `defineService`, two
 * services on one route) throw `TypeError` here, at start-up.
 *
 * @example
 * export default defineAdapter({ title: 'Dog licence register', services: [licencesService] });
 */
export function defineAdapter(definition: AdapterDefinition): AdapterDefinition {
  if (typeof definition?.title !== 'string' || definition.title.length === 0) {
    throw new TypeError('an adapter needs a title');
  }
  if (!Array.isArray(definition.services) || definition.services.length === 0) {
    throw new TypeError(`adapter '${definition.title}' declares no services`);
  }
  checkServices(definition.services);
  return definition;
}

/**
 * Resolves an adapter module's default export to its adapter.
 *
 * @example const adapter = await resolveAdapter((await import('./adapter.js')).default, { log });
 */
export async function resolveAdapter(
  module: unknown,
  context: AdapterModuleContext,
): Promise<AdapterDefinition> {
  const built = typeof module === 'function' ? await module(context) : module;
  if (built === null || typeof built !== 'object' || !Array.isArray((built as AdapterDefinition).services)) {
    throw new TypeError(
      'an adapter module must export an adapter (defineAdapter) or a function returning one as its default export',
    );
  }
  return defineAdapter(built as AdapterDefinition);
}

export type StartAdapterOptions = AdapterListening & {
  readonly log: Logger;
  /** Told of every answer of a service, e.g. for metrics. */
  readonly observe?: AdapterAppOptions['observe'];
  /** `0` picks a free port. */
  readonly port: number;
  /** Defaults to loopback. */
  readonly host?: string;
};

/**
 * Serves an adapter to its provider gateway (mutual TLS, or plain HTTP on loopback for development)
 * with health (`/healthz`) and readiness (`/readyz`) probes. `close()` stops accepting, ends open
 * connections, then releases the adapter's own resources (`adapter.close`).
 *
 * @example
 * const running = await startAdapter(adapter, { log, port: 4420, tls: { cert, key, ca, gatewayCert } });
 * process.once('SIGTERM', () => running.close());
 */
export async function startAdapter(
  adapter: AdapterDefinition,
  options: StartAdapterOptions,
): Promise<RunningAdapter> {
  const app = createAdapterApp({
    services: adapter.services,
    log: options.log,
    title: adapter.title,
    ...(adapter.isReady ? { isReady: adapter.isReady } : {}),
    ...(options.observe ? { observe: options.observe } : {}),
  });
  const { observe: _observe, ...serving } = options;
  let server: RunningAdapter;
  try {
    server = await serveAdapter({ ...serving, app });
  } catch (error) {
    await adapter.close?.();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    port: server.port,
    close() {
      closing ??= server.close().finally(() => adapter.close?.());
      return closing;
    },
  };
}
