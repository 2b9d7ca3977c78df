import type { Kysely } from 'kysely';
import type { MigrationSet } from '../core/database/index.ts';
import {
  businessRegisterMigrations,
  createBusinessRegisterAdapter,
  seedBusinessRegister,
} from './business-register/index.ts';
import { createPopulationAdapter, populationMigrations, seedPopulation } from './population/index.ts';
import type { ServiceDefinition } from './sdk/index.ts';
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
