import type { ColumnType } from 'kysely';

/** A `date` column: written as `YYYY-MM-DD`, read back through `to_char` in queries. */
type DateColumn = ColumnType<unknown, string, string>;

/** The residents' register tables, in the `population` schema. */
export interface PopulationTables {
  /** A registered resident; `id` is the subject identifier (`DE` + IdNr). */
  person: {
    id: string;
    given_name: string;
    family_name: string;
    birth_date: DateColumn;
  };
  address: {
    id: string;
    street: string;
    house_number: string;
    postal_code: string;
    city: string;
    country: string;
  };
  /** The people who live together in one dwelling at an address. */
  household: {
    id: string;
    address_id: string;
  };
  /** A person's registration in a household: main or secondary residence, from `since` until `until`. */
  registration: {
    person_id: string;
    household_id: string;
    kind: 'main' | 'secondary';
    since: DateColumn;
    until: DateColumn | null;
  };
}
