export { businessRegisterDescription, createBusinessRegisterAdapter } from './adapter.ts';
export {
  companyRequestSchema,
  companyResponseSchema,
  createCompanyService,
  registerNumberSchema,
} from './company-service.ts';
export { businessRegisterMigrations } from './migrations.ts';
export { seedBusinessRegister } from './seed.ts';
export type { BusinessRegisterTables } from './tables.ts';
