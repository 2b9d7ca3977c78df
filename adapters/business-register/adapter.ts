import type { Kysely } from 'kysely';
import type { ServiceDefinition } from '../sdk/index.ts';
import { companyDeclaration, createCompanyService } from './company-service.ts';
import { businessRegisterMigrations } from './migrations.ts';
import type { BusinessRegisterTables } from './tables.ts';

/**
 * The business register adapter: service `company` v1 over the `business_register` schema.
 * Run {@link businessRegisterMigrations} first.
 *
 * @example
 * const register = createBusinessRegisterAdapter({ db: database.db });
 */
/** What the business register adapter serves, without a database: its title and service declarations. */
export const businessRegisterDescription = {
  title: 'Business register',
  services: [companyDeclaration],
} as const;

export function createBusinessRegisterAdapter(options: { db: Kysely<any> }) {
  const db = (options.db as Kysely<BusinessRegisterTables>).withSchema(businessRegisterMigrations.schema);
  const services: readonly ServiceDefinition[] = [createCompanyService(db)];
  return { title: businessRegisterDescription.title, services, migrations: businessRegisterMigrations };
}
