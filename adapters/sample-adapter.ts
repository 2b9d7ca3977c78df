import type { Kysely } from 'kysely';
import { isDatabaseReachable, type Logger, migrateToLatest } from '../core/index.ts';
import { type SampleRegistryName, sampleRegistries } from './sample-registries.ts';
import { type AdapterTls, createAdapterApp, type RunningAdapter, serveAdapter } from './sdk/index.ts';

export interface StartSampleAdapterOptions {
  /** The registries to serve from one adapter; their service routes never collide. */
  readonly registries: readonly SampleRegistryName[];
  /** Unscoped database handle; each registry keeps to its own schema. */
  readonly db: Kysely<any>;
  readonly log: Logger;
  readonly port: number;
  readonly host?: string;
  readonly tls?: AdapterTls;
}

/**
 * Migrates and seeds the chosen sample registries, then serves their services from one adapter.
 * Used by `einmal adapter serve`, the demo and the benchmark.
 *
 * @example
 * const adapter = await startSampleAdapter({ registries: ['population'], db, log, port: 4420 });
 */
export async function startSampleAdapter(options: StartSampleAdapterOptions): Promise<RunningAdapter> {
  const { db, log } = options;
  const titles: string[] = [];
  const services = [];
  for (const name of new Set(options.registries)) {
    const registry = sampleRegistries[name];
    const applied = await migrateToLatest(db, registry.migrations);
    if (applied.length > 0) log.info({ registry: name, migrations: applied }, 'migrated');
    await registry.seed(db);
    const adapter = registry.create({ db });
    titles.push(adapter.title);
    services.push(...adapter.services);
  }
  const app = createAdapterApp({
    services,
    log,
    title: titles.join(', '),
    isReady: () => isDatabaseReachable(db),
  });
  return serveAdapter({ app, port: options.port, host: options.host, tls: options.tls });
}
