import { type Kysely, sql } from 'kysely';
import type { MigrationSet } from '../../core/database/index.ts';

/** Schema and migrations of the residents' register. Never edit a migration once landed. */
export const populationMigrations: MigrationSet = {
  schema: 'population',
  migrations: {
    '0001_residents': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('person')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('given_name', 'text', (c) => c.notNull())
          .addColumn('family_name', 'text', (c) => c.notNull())
          .addColumn('birth_date', 'date', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('address')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('street', 'text', (c) => c.notNull())
          .addColumn('house_number', 'text', (c) => c.notNull())
          .addColumn('postal_code', 'text', (c) => c.notNull())
          .addColumn('city', 'text', (c) => c.notNull())
          .addColumn('country', 'text', (c) => c.notNull().defaultTo('DE'))
          .execute();
        await db.schema
          .createTable('household')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('address_id', 'text', (c) => c.notNull().references('address.id'))
          .execute();
        await db.schema
          .createTable('registration')
          .addColumn('person_id', 'text', (c) => c.notNull().references('person.id'))
          .addColumn('household_id', 'text', (c) => c.notNull().references('household.id'))
          .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('main', 'secondary')`))
          .addColumn('since', 'date', (c) => c.notNull())
          .addColumn('until', 'date')
          .addPrimaryKeyConstraint('registration_pk', ['person_id', 'household_id', 'since'])
          .addCheckConstraint('registration_period', sql`until is null or until >= since`)
          .execute();
        // A person has at most one current main residence (§ 21 BMG).
        await db.schema
          .createIndex('registration_one_main')
          .on('registration')
          .column('person_id')
          .unique()
          .where(sql.ref('kind'), '=', 'main')
          .where(sql.ref('until'), 'is', null)
          .execute();
        await db.schema
          .createIndex('registration_household')
          .on('registration')
          .column('household_id')
          .execute();
      },
    },
  },
};
