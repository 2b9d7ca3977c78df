// The city's dog licence register. A real adapter would query the register's database here; the
// example keeps a small in-memory table so that it runs anywhere.

/** @typedef {{ licenceNumber: string, holderId: string, dogName: string, breed: string, validUntil: string }} Licence */

/** @type {readonly Licence[]} */
const licences = [
  {
    licenceNumber: 'HB-2024-0117',
    holderId: 'DE65402138797',
    dogName: 'Bello',
    breed: 'Beagle',
    validUntil: '2026-12-31',
  },
  {
    licenceNumber: 'HB-2025-0042',
    holderId: 'DE65402138797',
    dogName: 'Luna',
    breed: 'Dachshund',
    validUntil: '2027-06-30',
  },
  {
    licenceNumber: 'HB-2023-0931',
    holderId: 'DE48517309264',
    dogName: 'Rex',
    breed: 'Boxer',
    validUntil: '2026-03-31',
  },
];

/** The yearly dog tax by number of dogs in a household, in euro. */
export const yearlyFees = [
  { dogs: 1, euro: 120 },
  { dogs: 2, euro: 180 },
  { dogs: 3, euro: 240 },
];

/**
 * The licences one person holds.
 * @param {string} holderId
 * @returns {Licence[]}
 */
export function licencesOf(holderId) {
  return licences.filter((licence) => licence.holderId === holderId);
}
