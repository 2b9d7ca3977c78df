import type { Insertable, Kysely } from 'kysely';
import { businessRegisterMigrations } from './migrations.ts';
import type { BusinessRegisterTables } from './tables.ts';

const court = 'Amtsgericht München';

const companies: Insertable<BusinessRegisterTables['company']>[] = [
  {
    register_number: 'HRB 123456',
    register_court: court,
    name: 'Isarwerk Mobilität GmbH',
    legal_form: 'GmbH',
    seat: 'München',
    street: 'Landsberger Straße',
    house_number: '110',
    postal_code: '80339',
    city: 'München',
    business_purpose: 'Car sharing and electric charging services in the Munich region.',
    registered_on: '2016-03-09',
    status: 'active',
  },
  {
    register_number: 'HRA 98765',
    register_court: court,
    name: 'Brauhaus Au Huber & Co. KG',
    legal_form: 'KG',
    seat: 'München',
    street: 'Lilienstraße',
    house_number: '7',
    postal_code: '81669',
    city: 'München',
    business_purpose: 'Brewing and sale of beer.',
    registered_on: '1998-11-23',
    status: 'active',
  },
  {
    register_number: 'HRB 54321',
    register_court: court,
    name: 'Schwabinger Softwarehaus AG',
    legal_form: 'AG',
    seat: 'München',
    street: 'Leopoldstraße',
    house_number: '200',
    postal_code: '80804',
    city: 'München',
    business_purpose: 'Development of software for public administrations.',
    registered_on: '2004-07-01',
    status: 'in-liquidation',
  },
];

/** Loads the business register of the development federation. Idempotent. */
export async function seedBusinessRegister(db: Kysely<any>): Promise<void> {
  await (db as Kysely<BusinessRegisterTables>)
    .withSchema(businessRegisterMigrations.schema)
    .insertInto('company')
    .values(companies)
    .onConflict((oc) => oc.column('register_number').doNothing())
    .execute();
}
