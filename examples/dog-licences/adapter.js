import { defineAdapter, defineService, EinmalError, z } from 'einmal/adapter-sdk';
import { licencesOf, yearlyFees } from './register.js';

/** A personal-data service: the dog licences the verified subject holds. */
export const licencesService = defineService({
  code: 'dog-licences',
  version: 'v1',
  title: 'Your dog licences',
  description: 'The dog licences the city has issued to you, with the dogs they cover.',
  personalData: true,
  // Every place in the answer that holds a person identifier; the SDK checks each against the
  // verified subject before the answer leaves.
  personIds: ['licences[].holderId'],
  eidScope: 'dogs.licences',
  requiredLoa: 'substantial',
  purposes: [{ code: 'dog-tax', title: 'Assessing the dog tax' }],
  legalBases: [{ code: 'city-dog-tax-bylaw', title: 'Dog tax by-law of the city, § 3' }],
  hideable: false,
  method: 'GET',
  request: z.object({ validOn: z.iso.date().optional() }),
  response: z.object({
    licences: z.array(
      z.object({
        licenceNumber: z.string(),
        holderId: z.string(),
        dogName: z.string(),
        breed: z.string(),
        validUntil: z.iso.date(),
      }),
    ),
  }),
  handler({ validOn }, { subject }) {
    const held = licencesOf(subject).filter((licence) => !validOn || licence.validUntil >= validOn);
    if (held.length === 0) throw new EinmalError('Adapter.NotFound');
    return { licences: held };
  },
});

/** A public service: the dog tax by number of dogs. Its policy fields take their defaults. */
export const feesService = defineService({
  code: 'dog-tax-fees',
  version: 'v1',
  title: 'Dog tax rates',
  description: 'The yearly dog tax by number of dogs in a household.',
  personalData: false,
  method: 'GET',
  request: z.object({ dogs: z.enum(['1', '2', '3']).optional() }),
  response: z.object({ fees: z.array(z.object({ dogs: z.number(), euro: z.number() })) }),
  handler({ dogs }) {
    return { fees: yearlyFees.filter((fee) => !dogs || fee.dogs === Number(dogs)) };
  },
});

export default defineAdapter({
  title: 'Dog licence register',
  services: [licencesService, feesService],
});
