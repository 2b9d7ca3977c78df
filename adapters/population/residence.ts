import { type Kysely, sql } from 'kysely';
import type { PopulationTables } from './tables.ts';

/** A current main residence as the register holds it. */
export interface MainResidence {
  readonly householdId: string;
  readonly street: string;
  readonly houseNumber: string;
  readonly postalCode: string;
  readonly city: string;
  readonly country: string;
  /** Registered there since (ISO date). */
  readonly since: string;
}

/** The person's current main residence (registration of kind `main` without an end), if any. */
export async function findMainResidence(
  db: Kysely<PopulationTables>,
  personId: string,
): Promise<MainResidence | undefined> {
  return db
    .selectFrom('registration as r')
    .innerJoin('household as h', 'h.id', 'r.household_id')
    .innerJoin('address as a', 'a.id', 'h.address_id')
    .where('r.person_id', '=', personId)
    .where('r.kind', '=', 'main')
    .where('r.until', 'is', null)
    .select([
      'h.id as householdId',
      'a.street',
      'a.house_number as houseNumber',
      'a.postal_code as postalCode',
      'a.city',
      'a.country',
      sql<string>`to_char(r.since, 'YYYY-MM-DD')`.as('since'),
    ])
    .executeTakeFirst();
}

/** A person currently registered with main residence in a household, oldest first. */
export async function listHouseholdMembers(db: Kysely<PopulationTables>, householdId: string) {
  return db
    .selectFrom('registration as r')
    .innerJoin('person as p', 'p.id', 'r.person_id')
    .where('r.household_id', '=', householdId)
    .where('r.kind', '=', 'main')
    .where('r.until', 'is', null)
    .select([
      'p.given_name as givenName',
      'p.family_name as familyName',
      sql<string>`to_char(p.birth_date, 'YYYY-MM-DD')`.as('birthDate'),
      sql<string>`to_char(r.since, 'YYYY-MM-DD')`.as('since'),
    ])
    .orderBy('p.birth_date')
    .orderBy('p.id')
    .execute();
}
