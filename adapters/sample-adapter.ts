import type { Kysely } from 'kysely';
import { isDatabaseReachable, migrateToLatest } from '../core/database/index.ts';
import type { Logger } from '../core/index.ts';
import {
  type RunningAdapterWithOps,
  type ServeAdapterWithOpsOptions,
  startAdapterWithOps,
} from './adapter-ops.ts';
import { type SampleRegistryName, sampleRegistries } from './sample-registries.ts';
import { type AdapterDefinition, defineAdapter } from './sdk/index.ts';

export interface OpenSampleAdapterOptions {
  /** The registries to serve from one adapter; their service routes never collide. */
  readonly registries: readonly SampleRegistryName[];
  /** Unscoped database handle; each registry keeps to its own schema. */
  readonly db: Kysely<any>;
  readonly log: Logger;
  /** Releases the database when the adapter stops (its owner's `close`). */
  readonly close?: () => Promise<void>;
}

/** A running sample adapter, with its operations listener's port when it has one. */
export type RunningSampleAdapter = RunningAdapterWithOps;

/**
 * Migrates and seeds the chosen sample registries and declares one adapter serving all their
 * services: an adapter like any integrator's, served by the same `startAdapter`.
 *
 * @example
 * const adapter = await openSampleAdapter({ registries: ['population'], db, log, close });
 */
export async function openSampleAdapter(options: OpenSampleAdapterOptions): Promise<AdapterDefinition> {
  const { registries, db, log } = options;
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
  return defineAdapter({
    title: titles.join(', '),
    services,
    isReady: () => isDatabaseReachable(db),
    ...(options.close ? { close: options.close } : {}),
  });
}

/** Mutual TLS admitting only the provider gateway (or plain HTTP on loopback), and the ops listener. */
export type StartSampleAdapterOptions = ServeAdapterWithOpsOptions & Omit<OpenSampleAdapterOptions, 'close'>;

/**
 * Migrates and seeds the chosen sample registries, then serves their services from one adapter.
 * Used by the demo and the benchmark; the database stays its owner's to close.
 *
 * @example
 * const adapter = await startSampleAdapter({
 *   registries: ['population'], db, log, port: 4420, tls: { cert, key, ca, gatewayCert },
 * });
 */
export async function startSampleAdapter(options: StartSampleAdapterOptions): Promise<RunningAdapterWithOps> {
  const { registries, db, ...serving } = options;
  return startAdapterWithOps(await openSampleAdapter({ registries, db, log: options.log }), serving);
}
