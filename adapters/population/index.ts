export { createPopulationAdapter, populationDescription } from './adapter.ts';
export { addressResponseSchema, createAddressService, postalAddressSchema } from './address-service.ts';
export { createHouseholdService, householdResponseSchema } from './household-service.ts';
export { populationMigrations } from './migrations.ts';
export { seedPopulation } from './seed.ts';
export type { PopulationTables } from './tables.ts';
