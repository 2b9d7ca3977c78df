import type { Insertable, Kysely } from 'kysely';
import { testCitizens } from '../sample-citizens.ts';
import { vehiclesMigrations } from './migrations.ts';
import type { VehiclesTables } from './tables.ts';

const citizenId = (givenName: string, familyName: string): string => {
  const found = testCitizens.find((c) => c.givenName === givenName && c.familyName === familyName);
  if (!found) throw new TypeError(`no test citizen ${givenName} ${familyName}`);
  return found.id;
};

const vehicles: Insertable<VehiclesTables['vehicle']>[] = [
  {
    vin: 'WVWZZZCDZMW000001',
    plate: 'M-AH 1234',
    make: 'Volkswagen',
    model: 'Golf',
    emission_class: 'Euro 6d',
    first_registration: '2021-04-15',
  },
  {
    vin: 'WBY1Z21060V000002',
    plate: 'M-LH 2207',
    make: 'BMW',
    model: 'i3',
    emission_class: 'Elektro',
    first_registration: '2019-09-03',
  },
  {
    vin: 'WF0DXXGAKDK000003',
    plate: 'M-EY 42',
    make: 'Ford',
    model: 'Fiesta',
    emission_class: 'Euro 5',
    first_registration: '2013-02-20',
  },
  {
    vin: 'WDD1690071J000004',
    plate: 'M-SW 915',
    make: 'Mercedes-Benz',
    model: 'A 160',
    emission_class: 'Euro 4',
    first_registration: '2007-06-11',
  },
];

const holdings: Insertable<VehiclesTables['holding']>[] = [
  { vin: 'WVWZZZCDZMW000001', holder_id: citizenId('Anna', 'Huber'), since: '2021-04-15', until: null },
  { vin: 'WBY1Z21060V000002', holder_id: citizenId('Lukas', 'Huber'), since: '2022-01-10', until: null },
  { vin: 'WF0DXXGAKDK000003', holder_id: citizenId('Emre', 'Yılmaz'), since: '2018-03-01', until: null },
  // Sophie Wagner sold her car in 2020; the register keeps the closed holding.
  {
    vin: 'WDD1690071J000004',
    holder_id: citizenId('Sophie', 'Wagner'),
    since: '2007-06-11',
    until: '2020-08-31',
  },
];

/**
 * Loads the vehicle register of the development federation: Anna and Lukas Huber each hold a car
 * (Anna's is `M-AH 1234`), Emre Yılmaz one, Sophie Wagner none any more, Mia none.
 * Idempotent: running it again changes nothing.
 */
export async function seedVehicles(db: Kysely<any>): Promise<void> {
  await (db as Kysely<VehiclesTables>)
    .withSchema(vehiclesMigrations.schema)
    .transaction()
    .execute(async (trx) => {
      await trx
        .insertInto('vehicle')
        .values(vehicles)
        .onConflict((oc) => oc.column('vin').doNothing())
        .execute();
      await trx
        .insertInto('holding')
        .values(holdings)
        .onConflict((oc) => oc.columns(['vin', 'since']).doNothing())
        .execute();
    });
}
