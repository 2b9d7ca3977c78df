import type { Kysely } from 'kysely';
import { isDatabaseReachable, migrateToLatest, type PoolUse } from '../core/database/index.ts';
import type { Logger } from '../core/index.ts';
import { type OpsListenerSettings, startOpsListener } from '../core/ops/index.ts';
import { createAdapterMetrics } from './adapter-metrics.ts';
import { type SampleRegistryName, sampleRegistries } from './sample-registries.ts';
import { type AdapterListening, createAdapterApp, type RunningAdapter, serveAdapter } from './sdk/index.ts';

/** Mutual TLS admitting only the provider gateway, or plain HTTP for development on loopback. */
export type StartSampleAdapterOptions = AdapterListening & {
  /** The registries to serve from one adapter; their service routes never collide. */
  readonly registries: readonly SampleRegistryName[];
  /** Unscoped database handle; each registry keeps to its own schema. */
  readonly db: Kysely<any>;
  readonly log: Logger;
  readonly port: number;
  readonly host?: string;
  /** The operations listener (`/healthz`, `/readyz`, `/metrics`); none when absent. */
  readonly ops?: OpsListenerSettings | undefined;
  /** How the database's connection pool is used, for the metrics. */
  readonly pool?: (() => PoolUse) | undefined;
};

/** A running sample adapter, with its operations listener's port when it has one. */
export interface RunningSampleAdapter extends RunningAdapter {
  readonly opsPort: number | undefined;
}

/**
 * Migrates and seeds the chosen sample registries, then serves their services from one adapter.
 * Used by `einmal adapter serve`, the demo and the benchmark.
 *
 * @example
 * const adapter = await startSampleAdapter({
 *   registries: ['population'], db, log, port: 4420, tls: { cert, key, ca, gatewayCert },
 * });
 */
export async function startSampleAdapter(options: StartSampleAdapterOptions): Promise<RunningSampleAdapter> {
  const { registries, db, ops, pool, ...listening } = options;
  const { log } = options;
  const titles: string[] = [];
  const services = [];
  for (const name of new Set(registries)) {
    const registry = sampleRegistries[name];
    const applied = await migrateToLatest(db, registry.migrations);
    if (applied.length > 0) log.info({ registry: name, migrations: applied }, 'migrated');
    await registry.seed(db);
    const adapter = registry.create({ db });
    titles.push(adapter.title);
    services.push(...adapter.services);
  }
  const metrics = createAdapterMetrics(pool);
  const app = createAdapterApp({
    services,
    log,
    title: titles.join(', '),
    isReady: () => isDatabaseReachable(db),
    observe: metrics.answered,
  });
  const running = await serveAdapter({ ...listening, app });
  const opsListener =
    ops &&
    (await startOpsListener(
      ops,
      { metrics: metrics.registry, checks: { database: () => isDatabaseReachable(db) } },
      log,
    ));
  return {
    ...running,
    opsPort: opsListener?.port,
    async close() {
      await Promise.all([running.close(), opsListener?.close()]);
    },
  };
}
