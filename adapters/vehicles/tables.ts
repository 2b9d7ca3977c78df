import type { ColumnType } from 'kysely';

/** A `date` column: written as `YYYY-MM-DD`, read back through `to_char` in queries. */
type DateColumn = ColumnType<unknown, string, string>;

/** The vehicle register tables, in the `vehicles` schema. */
export interface VehiclesTables {
  vehicle: {
    /** Vehicle identification number. */
    vin: string;
    /** Registration plate, e.g. `M-AH 1234`. */
    plate: string;
    make: string;
    model: string;
    /** Emission class as on the registration certificate, e.g. `Euro 6d`, `Elektro`. */
    emission_class: string;
    first_registration: DateColumn;
  };
  /** Who holds a vehicle, from `since` until `until`. */
  holding: {
    vin: string;
    holder_id: string;
    since: DateColumn;
    until: DateColumn | null;
  };
}
