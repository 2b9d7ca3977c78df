import type { Kysely } from 'kysely';
import type { ServiceDefinition } from '../sdk/index.ts';
import { addressDeclaration, createAddressService } from './address-service.ts';
import { createHouseholdService, householdDeclaration } from './household-service.ts';
import { populationMigrations } from './migrations.ts';
import type { PopulationTables } from './tables.ts';

/**
 * The residents' register adapter: services `address` v1 and `household` v1 over the `population`
 * schema. Run {@link populationMigrations} first.
 *
 * @example
 * const population = createPopulationAdapter({ db: database.db });
 * const app = createAdapterApp({ services: population.services, log });
 */
/** What the residents' register adapter serves, without a database: its title and service declarations. */
export const populationDescription = {
  title: 'Residents’ register',
  services: [addressDeclaration, householdDeclaration],
} as const;

export function createPopulationAdapter(options: { db: Kysely<any> }) {
  const db = (options.db as Kysely<PopulationTables>).withSchema(populationMigrations.schema);
  const services: readonly ServiceDefinition[] = [createAddressService(db), createHouseholdService(db)];
  return { title: populationDescription.title, services, migrations: populationMigrations };
}
