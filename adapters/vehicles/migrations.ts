import { type Kysely, sql } from 'kysely';
import type { MigrationSet } from '../../core/database/index.ts';

/** Schema and migrations of the vehicle register. Never edit a migration once landed. */
export const vehiclesMigrations: MigrationSet = {
  schema: 'vehicles',
  migrations: {
    '0001_vehicles': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('vehicle')
          .addColumn('vin', 'text', (c) => c.primaryKey())
          .addColumn('plate', 'text', (c) => c.notNull().unique())
          .addColumn('make', 'text', (c) => c.notNull())
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('emission_class', 'text', (c) => c.notNull())
          .addColumn('first_registration', 'date', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('holding')
          .addColumn('vin', 'text', (c) => c.notNull().references('vehicle.vin'))
          .addColumn('holder_id', 'text', (c) => c.notNull())
          .addColumn('since', 'date', (c) => c.notNull())
          .addColumn('until', 'date')
          .addPrimaryKeyConstraint('holding_pk', ['vin', 'since'])
          .addCheckConstraint('holding_period', sql`until is null or until >= since`)
          .execute();
        // One current holder per vehicle.
        await db.schema
          .createIndex('holding_current')
          .on('holding')
          .column('vin')
          .unique()
          .where(sql.ref('until'), 'is', null)
          .execute();
        await db.schema.createIndex('holding_holder').on('holding').column('holder_id').execute();
      },
    },
  },
};
