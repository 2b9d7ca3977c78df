import type { Kysely } from 'kysely';
import { z } from 'zod';
import { EinmalError } from '../../core/index.ts';
import { defineService } from '../sdk/index.ts';
import { federalRegistrationAct, parkingPermit } from './processing-codes.ts';
import { findMainResidence } from './residence.ts';
import type { PopulationTables } from './tables.ts';

/** A postal address in the residents' register. */
export const postalAddressSchema = z.object({
  street: z.string(),
  houseNumber: z.string(),
  postalCode: z.string().regex(/^\d{5}$/),
  city: z.string(),
  country: z.string().regex(/^[A-Z]{2}$/),
});

/** Response of `address` v1: the verified subject's registered main residence. */
export const addressResponseSchema = z.object({
  subject: z.string(),
  address: postalAddressSchema,
  /** Registered at this address since (ISO date). */
  since: z.iso.date(),
});

/**
 * `address` v1: the registered main residence of the verified subject. No query parameters: the
 * gateway's verified subject is the only person it answers about.
 */
export const addressDeclaration = {
  code: 'address',
  version: 'v1',
  title: 'Registered address',
  description: 'Your current registered main residence from the residents’ register.',
  personalData: true,
  personIds: ['subject'],
  requiredLoa: 'substantial',
  eidScope: 'population.address',
  purposes: [parkingPermit],
  legalBases: [federalRegistrationAct],
  hideable: false,
  method: 'GET',
  request: z.object({}),
  response: addressResponseSchema,
} as const;

/** {@link addressDeclaration} answered from the database. */
export function createAddressService(db: Kysely<PopulationTables>) {
  return defineService({
    ...addressDeclaration,
    async handler(_input, { subject }) {
      const residence = await findMainResidence(db, subject);
      if (!residence) throw new EinmalError('Adapter.NotFound');
      const { householdId: _household, since, ...address } = residence;
      return { subject: subject, address, since };
    },
  });
}
