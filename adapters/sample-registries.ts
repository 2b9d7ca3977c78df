import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import type { MigrationSet } from '../core/database/index.ts';
import {
  businessRegisterMigrations,
  createBusinessRegisterAdapter,
  seedBusinessRegister,
} from './business-register/index.ts';
import { createPopulationAdapter, populationMigrations, seedPopulation } from './population/index.ts';
import { describeService, type ServiceDefinition, type ServiceMetadata } from './sdk/index.ts';
import { createVehiclesAdapter, seedVehicles, vehiclesMigrations } from './vehicles/index.ts';

/** One sample registry: how to migrate, seed and serve it. */
export interface SampleRegistry {
  readonly migrations: MigrationSet;
  /** Loads the development federation's data; idempotent. */
  seed(db: Kysely<any>): Promise<void>;
  create(options: { db: Kysely<any> }): {
    readonly title: string;
    readonly services: readonly ServiceDefinition[];
  };
}

/** The sample registries of the demo federation, by the name the CLI takes. */
export const sampleRegistries = {
  population: { migrations: populationMigrations, seed: seedPopulation, create: createPopulationAdapter },
  vehicles: { migrations: vehiclesMigrations, seed: seedVehicles, create: createVehiclesAdapter },
  'business-register': {
    migrations: businessRegisterMigrations,
    seed: seedBusinessRegister,
    create: createBusinessRegisterAdapter,
  },
} as const satisfies Record<string, SampleRegistry>;

export type SampleRegistryName = keyof typeof sampleRegistries;

export const SAMPLE_REGISTRY_NAMES = Object.keys(sampleRegistries) as SampleRegistryName[];

export const isSampleRegistryName = (name: string): name is SampleRegistryName =>
  Object.hasOwn(sampleRegistries, name);

/** A query builder that never connects: describing services needs their declarations, not their data. */
export const offlineDb = () =>
  new Kysely<any>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });

/**
 * What a sample registry's services declare about themselves (code, version and policy), as its
 * adapter lists them at `GET /_einmal/services`; the demo registers them in its directory from this.
 *
 * @example
 * describeSampleRegistry('population').map((service) => service.code); // ['address', 'household']
 */
export function describeSampleRegistry(name: SampleRegistryName): readonly ServiceMetadata[] {
  return sampleRegistries[name].create({ db: offlineDb() }).services.map(describeService);
}
