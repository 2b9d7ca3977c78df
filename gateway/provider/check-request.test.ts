import { describe, expect, it } from 'vitest';
import type { ServicePolicy } from '../../schemas/index.ts';
import { errorCodeOf } from '../../tests/support/error-code.ts';
import { checkServicePolicy } from './check-request.ts';

const personal: ServicePolicy = {
  title: 'Registered address',
  description: 'Your registered main residence.',
  personalData: true,
  requiredLoa: 'substantial',
  eidScope: 'population.address',
  purposes: [{ code: 'parking-permit', title: 'Parking permit' }],
  legalBases: [{ code: 'de-bmg-34', title: '§ 34 BMG' }],
  hideable: false,
};
const publicData: ServicePolicy = {
  ...personal,
  personalData: false,
  requiredLoa: null,
  eidScope: null,
  purposes: [],
  legalBases: [],
};
const hideable: ServicePolicy = { ...personal, hideable: true };

const claims = (fields: Partial<Parameters<typeof checkServicePolicy>[1]> = {}) => ({
  purpose: 'parking-permit',
  legalBasis: null,
  hiddenUntil: null,
  hiddenReason: null,
  eid: 'digest-of-the-token',
  subject: null,
  ...fields,
});

describe('checkServicePolicy (docs/protocol.md §4, check 6)', () => {
  it.each([
    { name: 'a listed purpose with an eID token', service: personal, claims: {}, code: undefined },
    {
      name: 'a declared subject with a listed legal basis',
      service: personal,
      claims: { eid: null, subject: 'DE65402138797', legalBasis: 'de-bmg-34' },
      code: undefined,
    },
    {
      name: 'no purpose at all',
      service: personal,
      claims: { purpose: null },
      code: 'Server.ServerProxy.PurposeRequired',
    },
    {
      name: 'an unlisted purpose',
      service: personal,
      claims: { purpose: 'curiosity' },
      code: 'Server.ServerProxy.PurposeNotAllowed',
    },
    {
      name: 'an unlisted legal basis',
      service: personal,
      claims: { legalBasis: 'whim' },
      code: 'Server.ServerProxy.LegalBasisNotAllowed',
    },
    {
      name: 'neither a token nor a declared subject',
      service: personal,
      claims: { eid: null },
      code: 'Server.ServerProxy.AuthorizationRequired',
    },
    {
      name: 'a declared subject without a legal basis',
      service: personal,
      claims: { eid: null, subject: 'DE65402138797' },
      code: 'Server.ServerProxy.AuthorizationRequired',
    },
    {
      name: 'hiding on a service that is not hideable',
      service: personal,
      claims: { hiddenUntil: '2027-01-01T00:00:00.000Z' },
      code: 'Server.ServerProxy.HidingNotAllowed',
    },
    {
      name: 'hiding by a client not granted it',
      service: hideable,
      claims: { hiddenReason: 'investigation' },
      code: 'Server.ServerProxy.HidingNotGranted',
    },
    {
      name: 'hiding granted',
      service: hideable,
      claims: { hiddenUntil: '2027-01-01T00:00:00.000Z' },
      mayHide: true,
      code: undefined,
    },
    {
      name: 'public data without purpose or authorization',
      service: publicData,
      claims: { purpose: null, eid: null },
      code: undefined,
    },
    {
      name: 'public data with a purpose it does not list',
      service: publicData,
      claims: { purpose: 'research' },
      code: 'Server.ServerProxy.PurposeNotAllowed',
    },
  ])('$name: $code', ({ service, claims: fields, mayHide, code }) => {
    expect(errorCodeOf(() => checkServicePolicy(service, claims(fields), mayHide ?? false))).toBe(code);
  });
});
