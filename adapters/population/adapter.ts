import type { Kysely } from 'kysely';
import type { ServiceDefinition } from '../sdk/index.ts';
import { createAddressService } from './address-service.ts';
import { createHouseholdService } from './household-service.ts';
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
export function createPopulationAdapter(options: { db: Kysely<any> }) {
  const db = (options.db as Kysely<PopulationTables>).withSchema(populationMigrations.schema);
  const services: readonly ServiceDefinition[] = [createAddressService(db), createHouseholdService(db)];
  return { title: 'Residents’ register', services, migrations: populationMigrations };
}
