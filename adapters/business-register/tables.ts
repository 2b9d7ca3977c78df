import type { ColumnType } from 'kysely';

/** A `date` column: written as `YYYY-MM-DD`, read back through `to_char` in queries. */
type DateColumn = ColumnType<unknown, string, string>;

/** The business register tables, in the `business_register` schema. */
export interface BusinessRegisterTables {
  company: {
    /** Register number at the keeping court, e.g. `HRB 123456`. */
    register_number: string;
    register_court: string;
    name: string;
    legal_form: string;
    seat: string;
    street: string;
    house_number: string;
    postal_code: string;
    city: string;
    business_purpose: string;
    registered_on: DateColumn;
    status: 'active' | 'in-liquidation' | 'dissolved';
  };
}
