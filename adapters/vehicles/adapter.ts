import type { Kysely } from 'kysely';
import type { ServiceDefinition } from '../sdk/index.ts';
import { vehiclesMigrations } from './migrations.ts';
import type { VehiclesTables } from './tables.ts';
import { createVehiclesByHolderService, vehiclesByHolderDeclaration } from './vehicles-by-holder-service.ts';

/**
 * The vehicle register adapter: service `vehicles-by-holder` v1 over the `vehicles` schema.
 * Run {@link vehiclesMigrations} first.
 *
 * @example
 * const vehicles = createVehiclesAdapter({ db: database.db });
 */
/** What the vehicle register adapter serves, without a database: its title and service declarations. */
export const vehiclesDescription = {
  title: 'Vehicle register',
  services: [vehiclesByHolderDeclaration],
} as const;

export function createVehiclesAdapter(options: { db: Kysely<any> }) {
  const db = (options.db as Kysely<VehiclesTables>).withSchema(vehiclesMigrations.schema);
  const services: readonly ServiceDefinition[] = [createVehiclesByHolderService(db)];
  return { title: vehiclesDescription.title, services, migrations: vehiclesMigrations };
}
