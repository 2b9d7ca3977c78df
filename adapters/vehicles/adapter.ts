import type { Kysely } from 'kysely';
import type { ServiceDefinition } from '../sdk/index.ts';
import { vehiclesMigrations } from './migrations.ts';
import type { VehiclesTables } from './tables.ts';
import { createVehiclesByHolderService } from './vehicles-by-holder-service.ts';

/**
 * The vehicle register adapter: service `vehicles-by-holder` v1 over the `vehicles` schema.
 * Run {@link vehiclesMigrations} first.
 *
 * @example
 * const vehicles = createVehiclesAdapter({ db: database.db });
 */
export function createVehiclesAdapter(options: { db: Kysely<any> }) {
  const db = (options.db as Kysely<VehiclesTables>).withSchema(vehiclesMigrations.schema);
  const services: readonly ServiceDefinition[] = [createVehiclesByHolderService(db)];
  return { title: 'Vehicle register', services, migrations: vehiclesMigrations };
}
