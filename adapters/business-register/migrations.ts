import { type Kysely, sql } from 'kysely';
import type { MigrationSet } from '../../core/database/index.ts';

/** Schema and migrations of the business register. Never edit a migration once landed. */
export const businessRegisterMigrations: MigrationSet = {
  schema: 'business_register',
  migrations: {
    '0001_companies': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('company')
          .addColumn('register_number', 'text', (c) => c.primaryKey())
          .addColumn('register_court', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('legal_form', 'text', (c) => c.notNull())
          .addColumn('seat', 'text', (c) => c.notNull())
          .addColumn('street', 'text', (c) => c.notNull())
          .addColumn('house_number', 'text', (c) => c.notNull())
          .addColumn('postal_code', 'text', (c) => c.notNull())
          .addColumn('city', 'text', (c) => c.notNull())
          .addColumn('business_purpose', 'text', (c) => c.notNull())
          .addColumn('registered_on', 'date', (c) => c.notNull())
          .addColumn('status', 'text', (c) =>
            c.notNull().check(sql`status in ('active', 'in-liquidation', 'dissolved')`),
          )
          .execute();
      },
    },
  },
};
