export { createVehiclesAdapter, vehiclesDescription } from './adapter.ts';
export { vehiclesMigrations } from './migrations.ts';
export { seedVehicles } from './seed.ts';
export type { VehiclesTables } from './tables.ts';
export {
  createVehiclesByHolderService,
  vehiclesByHolderResponseSchema,
} from './vehicles-by-holder-service.ts';
