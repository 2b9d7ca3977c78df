import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import { EinmalError } from '../../core/index.ts';
import { defineService } from '../sdk/index.ts';
import type { BusinessRegisterTables } from './tables.ts';

/**
 * A German commercial register number: the register division (HRA, HRB, GnR, PR, VR, GsR), a
 * number and an optional suffix, e.g. `HRB 123456`.
 */
export const registerNumberSchema = z
  .string()
  .regex(/^(?:HRA|HRB|GnR|PR|VR|GsR) [1-9][0-9]{0,6}(?: [A-Z]{1,2})?$/, 'Must look like "HRB 123456"');

/** Request of `company` v1. */
export const companyRequestSchema = z.object({ registerNumber: registerNumberSchema });

/** Response of `company` v1: the public register entry. */
export const companyResponseSchema = z.object({
  registerNumber: z.string(),
  registerCourt: z.string(),
  name: z.string(),
  legalForm: z.string(),
  seat: z.string(),
  businessAddress: z.object({
    street: z.string(),
    houseNumber: z.string(),
    postalCode: z.string(),
    city: z.string(),
  }),
  businessPurpose: z.string(),
  registeredOn: z.iso.date(),
  status: z.enum(['active', 'in-liquidation', 'dissolved']),
});

/** `company` v1: public data of a registered company; no personal data, no eID needed. */
export const companyDeclaration = {
  code: 'company',
  version: 'v1',
  title: 'Company record',
  description: 'Public data of a registered company.',
  personalData: false,
  requiredLoa: null,
  eidScope: null,
  purposes: [],
  legalBases: [],
  hideable: false,
  method: 'GET',
  request: companyRequestSchema,
  response: companyResponseSchema,
} as const;

/** {@link companyDeclaration} answered from the database. */
export function createCompanyService(db: Kysely<BusinessRegisterTables>) {
  return defineService({
    ...companyDeclaration,
    async handler({ registerNumber }) {
      const row = await db
        .selectFrom('company')
        .where('register_number', '=', registerNumber)
        .selectAll()
        .select(sql<string>`to_char(registered_on, 'YYYY-MM-DD')`.as('registered_on_text'))
        .executeTakeFirst();
      if (!row) throw new EinmalError('Adapter.NotFound');
      return {
        registerNumber: row.register_number,
        registerCourt: row.register_court,
        name: row.name,
        legalForm: row.legal_form,
        seat: row.seat,
        businessAddress: {
          street: row.street,
          houseNumber: row.house_number,
          postalCode: row.postal_code,
          city: row.city,
        },
        businessPurpose: row.business_purpose,
        registeredOn: row.registered_on_text,
        status: row.status,
      };
    },
  });
}
