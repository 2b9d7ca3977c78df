import type { Kysely } from 'kysely';
import { z } from 'zod';
import { EinmalError } from '../../core/index.ts';
import { defineService } from '../sdk/index.ts';
import { postalAddressSchema } from './address-service.ts';
import { federalRegistrationAct, parkingPermit } from './processing-codes.ts';
import { findMainResidence, listHouseholdMembers } from './residence.ts';
import type { PopulationTables } from './tables.ts';

/** Response of `household` v1: who is registered in the verified subject's household. */
export const householdResponseSchema = z.object({
  subject: z.string(),
  address: postalAddressSchema,
  /** Everyone registered there with main residence, the subject included, oldest first. */
  members: z.array(
    z.object({
      givenName: z.string(),
      familyName: z.string(),
      birthDate: z.iso.date(),
      since: z.iso.date(),
    }),
  ),
});

/**
 * `household` v1: the members of the verified subject's household at their main residence, by name
 * and date of birth (never by identifier: the answer is about the subject's household, not a lookup
 * of other people).
 */
export const householdDeclaration = {
  code: 'household',
  version: 'v1',
  title: 'Household members',
  description: 'The people registered at your address (names and dates of birth).',
  personalData: true,
  personIds: ['subject'],
  requiredLoa: 'high',
  eidScope: 'population.household',
  purposes: [parkingPermit],
  legalBases: [federalRegistrationAct],
  hideable: false,
  method: 'GET',
  request: z.object({}),
  response: householdResponseSchema,
} as const;

/** {@link householdDeclaration} answered from the database. */
export function createHouseholdService(db: Kysely<PopulationTables>) {
  return defineService({
    ...householdDeclaration,
    async handler(_input, { subject }) {
      const residence = await findMainResidence(db, subject);
      if (!residence) throw new EinmalError('Adapter.NotFound');
      const { householdId, since: _since, ...address } = residence;
      const members = await listHouseholdMembers(db, householdId);
      return { subject: subject, address, members };
    },
  });
}
