import type { Insertable, Kysely } from 'kysely';
import { testCitizens } from '../sample-citizens.ts';
import { populationMigrations } from './migrations.ts';
import type { PopulationTables } from './tables.ts';

const citizen = (givenName: string, familyName: string) => {
  const found = testCitizens.find((c) => c.givenName === givenName && c.familyName === familyName);
  if (!found) throw new TypeError(`no test citizen ${givenName} ${familyName}`);
  return found;
};

const addresses = [
  {
    id: 'a-sendlinger-12',
    street: 'Sendlinger Straße',
    house_number: '12',
    postal_code: '80331',
    city: 'München',
  },
  { id: 'a-leopold-88', street: 'Leopoldstraße', house_number: '88', postal_code: '80802', city: 'München' },
  {
    id: 'a-rosenheimer-145',
    street: 'Rosenheimer Straße',
    house_number: '145',
    postal_code: '81671',
    city: 'München',
  },
  {
    id: 'a-hohenzollern-3',
    street: 'Hohenzollernstraße',
    house_number: '3',
    postal_code: '80801',
    city: 'München',
  },
];

const households = [
  { id: 'h-huber', address_id: 'a-sendlinger-12' },
  { id: 'h-yilmaz', address_id: 'a-leopold-88' },
  { id: 'h-wagner', address_id: 'a-rosenheimer-145' },
  { id: 'h-wagner-old', address_id: 'a-hohenzollern-3' },
];

const anna = citizen('Anna', 'Huber');
const lukas = citizen('Lukas', 'Huber');
const mia = citizen('Mia', 'Huber');
const emre = citizen('Emre', 'Yılmaz');
const sophie = citizen('Sophie', 'Wagner');

const registrations: Insertable<PopulationTables['registration']>[] = [
  { person_id: anna.id, household_id: 'h-huber', kind: 'main', since: '2012-05-01', until: null },
  { person_id: lukas.id, household_id: 'h-huber', kind: 'main', since: '2012-05-01', until: null },
  { person_id: mia.id, household_id: 'h-huber', kind: 'main', since: mia.birthDate, until: null },
  { person_id: emre.id, household_id: 'h-yilmaz', kind: 'main', since: '2019-10-01', until: null },
  // Sophie Wagner moved: the old registration stays on record, closed.
  {
    person_id: sophie.id,
    household_id: 'h-wagner-old',
    kind: 'main',
    since: '1996-08-01',
    until: '2003-02-14',
  },
  { person_id: sophie.id, household_id: 'h-wagner', kind: 'main', since: '2003-02-15', until: null },
];

/**
 * Loads the residents' register of the development federation: the test citizens of
 * `adapters/sample-citizens.ts`, all living in Munich; the Huber family (Anna, Lukas, Mia) shares
 * one household. Idempotent: running it again changes nothing.
 *
 * @example
 * await migrateToLatest(db, populationMigrations);
 * await seedPopulation(db);
 */
export async function seedPopulation(db: Kysely<any>): Promise<void> {
  await (db as Kysely<PopulationTables>)
    .withSchema(populationMigrations.schema)
    .transaction()
    .execute(async (trx) => {
      await trx
        .insertInto('person')
        .values(
          [anna, lukas, mia, emre, sophie].map((c) => ({
            id: c.id,
            given_name: c.givenName,
            family_name: c.familyName,
            birth_date: c.birthDate,
          })),
        )
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      await trx
        .insertInto('address')
        .values(addresses.map((a) => ({ ...a, country: 'DE' })))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      await trx
        .insertInto('household')
        .values(households)
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      await trx
        .insertInto('registration')
        .values(registrations)
        .onConflict((oc) => oc.columns(['person_id', 'household_id', 'since']).doNothing())
        .execute();
    });
}
