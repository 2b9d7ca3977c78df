import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import { defineService } from '../sdk/index.ts';
import type { VehiclesTables } from './tables.ts';

/** Response of `vehicles-by-holder` v1: the vehicles the verified subject currently holds. */
export const vehiclesByHolderResponseSchema = z.object({
  subject: z.string(),
  vehicles: z.array(
    z.object({
      plate: z.string(),
      make: z.string(),
      model: z.string(),
      emissionClass: z.string(),
      firstRegistration: z.iso.date(),
      /** Held by the subject since (ISO date). */
      heldSince: z.iso.date(),
    }),
  ),
});

/**
 * `vehicles-by-holder` v1: vehicles registered with the verified subject as current holder. Holding
 * none is an answer too (an empty list), not an error.
 */
export const vehiclesByHolderDeclaration = {
  code: 'vehicles-by-holder',
  version: 'v1',
  title: 'Vehicles held',
  description: 'Vehicles registered with you as holder (registration plate, make, emission class).',
  personalData: true,
  personIds: ['subject'],
  requiredLoa: 'substantial',
  eidScope: 'vehicles.holder',
  purposes: [
    { code: 'parking-permit', title: 'Application for a resident parking permit' },
    { code: 'traffic-offence', title: 'Investigation of a traffic offence' },
  ],
  legalBases: [{ code: 'de-stvg-35', title: '§ 35 Road Traffic Act (transfer of vehicle register data)' }],
  hideable: true,
  method: 'GET',
  request: z.object({}),
  response: vehiclesByHolderResponseSchema,
} as const;

/** {@link vehiclesByHolderDeclaration} answered from the database. */
export function createVehiclesByHolderService(db: Kysely<VehiclesTables>) {
  return defineService({
    ...vehiclesByHolderDeclaration,
    async handler(_input, { subject }) {
      const vehicles = await db
        .selectFrom('holding as h')
        .innerJoin('vehicle as v', 'v.vin', 'h.vin')
        .where('h.holder_id', '=', subject)
        .where('h.until', 'is', null)
        .select([
          'v.plate',
          'v.make',
          'v.model',
          'v.emission_class as emissionClass',
          sql<string>`to_char(v.first_registration, 'YYYY-MM-DD')`.as('firstRegistration'),
          sql<string>`to_char(h.since, 'YYYY-MM-DD')`.as('heldSince'),
        ])
        .orderBy('v.plate')
        .execute();
      return { subject: subject, vehicles };
    },
  });
}
