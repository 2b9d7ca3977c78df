import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { MigrationSet } from '../core/database/index.ts';
import {
  businessRegisterDescription,
  businessRegisterMigrations,
  createBusinessRegisterAdapter,
  seedBusinessRegister,
} from './business-register/index.ts';
import {
  createPopulationAdapter,
  populationDescription,
  populationMigrations,
  seedPopulation,
} from './population/index.ts';
import {
  declareService,
  describeService,
  type ServiceDeclaration,
  type ServiceDeclarationSpec,
  type ServiceDefinition,
  type ServiceMetadata,
} from './sdk/index.ts';
import {
  createVehiclesAdapter,
  seedVehicles,
  vehiclesDescription,
  vehiclesMigrations,
} from './vehicles/index.ts';

/** One sample registry: how to migrate, seed and serve it. */
export interface SampleRegistry {
  /** Its title and its services' declarations: what it serves, known without a database. */
  readonly description: {
    readonly title: string;
    readonly services: readonly ServiceDeclarationSpec<z.ZodType, z.ZodType>[];
  };
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
  population: {
    description: populationDescription,
    migrations: populationMigrations,
    seed: seedPopulation,
    create: createPopulationAdapter,
  },
  vehicles: {
    description: vehiclesDescription,
    migrations: vehiclesMigrations,
    seed: seedVehicles,
    create: createVehiclesAdapter,
  },
  'business-register': {
    description: businessRegisterDescription,
    migrations: businessRegisterMigrations,
    seed: seedBusinessRegister,
    create: createBusinessRegisterAdapter,
  },
} as const satisfies Record<string, SampleRegistry>;

export type SampleRegistryName = keyof typeof sampleRegistries;

export const SAMPLE_REGISTRY_NAMES = Object.keys(sampleRegistries) as SampleRegistryName[];

export const isSampleRegistryName = (name: string): name is SampleRegistryName =>
  Object.hasOwn(sampleRegistries, name);

/**
 * The declarations of a sample registry's services, checked as the SDK checks them (for their
 * OpenAPI document).
 *
 * @example declareSampleRegistry('population').map((service) => service.serviceCode); // ['address-v1', 'household-v1']
 */
export function declareSampleRegistry(name: SampleRegistryName): readonly ServiceDeclaration[] {
  const { services }: SampleRegistry['description'] = sampleRegistries[name].description;
  return services.map((spec) => declareService(spec));
}

/**
 * What a sample registry's services declare about themselves (code, version and policy), as its
 * adapter lists them at `GET /_einmal/services`; the demo registers them in its directory from this.
 *
 * @example
 * describeSampleRegistry('population').map((service) => service.code); // ['address', 'household']
 */
export function describeSampleRegistry(name: SampleRegistryName): readonly ServiceMetadata[] {
  return declareSampleRegistry(name).map(describeService);
}
