import { describe, expect, it } from 'vitest';
import { type AccessRequest, type AccessRule, accessGrant, matchesPathPattern } from './access-rule.ts';

const SERVICE = 'DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder-v1';
const CLIENT = 'DEMO/GOV/munich/parking-permits';

const rule = (fields: Partial<AccessRule>): AccessRule => ({
  id: 1,
  subject: CLIENT,
  service: SERVICE,
  method: null,
  pathPattern: null,
  mayHide: false,
  ...fields,
});

const request = (fields: Partial<AccessRequest> = {}): AccessRequest => ({
  client: CLIENT,
  globalGroups: [],
  localGroups: [],
  service: SERVICE,
  method: 'GET',
  path: '/',
  ...fields,
});

describe('matchesPathPattern', () => {
  it.each([
    ['/', '/', true],
    ['/vehicles', '/vehicles', true],
    ['/vehicles', '/vehicles/1', false],
    ['/vehicles/*', '/vehicles/1', true],
    ['/vehicles/*', '/vehicles/1/owner', false],
    ['/vehicles/*', '/vehicles', false],
    ['/vehicles/**', '/vehicles/1/owner', true],
    ['/vehicles/**', '/vehicles/', true],
    ['/**', '/anything/at/all', true],
    ['/*/owner', '/1/owner', true],
    ['/*/owner', '/1/holder', false],
    ['/vehicles/**/owner', '/vehicles/1/owner', false],
  ])('%s against %s: %s', (pattern, path, matches) => {
    expect(matchesPathPattern(pattern, path)).toBe(matches);
  });
});

describe('accessGrant', () => {
  it.each([
    { name: 'a rule for the client', rules: [rule({})], req: {}, granted: true, mayHide: false },
    { name: 'no rule', rules: [], req: {}, granted: false, mayHide: false },
    {
      name: 'a rule for another client',
      rules: [rule({ subject: 'DEMO/GOV/munich/other' })],
      req: {},
      granted: false,
      mayHide: false,
    },
    {
      name: 'a rule for another service',
      rules: [rule({ service: `${SERVICE}x` })],
      req: {},
      granted: false,
      mayHide: false,
    },
    {
      name: 'a global group the client is in',
      rules: [rule({ subject: 'group:DEMO/cities' })],
      req: { globalGroups: ['DEMO/cities'] },
      granted: true,
      mayHide: false,
    },
    {
      name: 'a global group the client is not in',
      rules: [rule({ subject: 'group:DEMO/cities' })],
      req: { globalGroups: ['DEMO/police'] },
      granted: false,
      mayHide: false,
    },
    {
      name: 'a local group the client is in',
      rules: [rule({ subject: 'local:permits' })],
      req: { localGroups: ['permits'] },
      granted: true,
      mayHide: false,
    },
    {
      name: 'another method',
      rules: [rule({ method: 'POST' })],
      req: {},
      granted: false,
      mayHide: false,
    },
    {
      name: 'a path outside the pattern',
      rules: [rule({ pathPattern: '/public/**' })],
      req: { path: '/private/1' },
      granted: false,
      mayHide: false,
    },
    {
      name: 'hiding granted by the rule that grants the access',
      rules: [rule({ mayHide: true })],
      req: {},
      granted: true,
      mayHide: true,
    },
    {
      name: 'hiding granted only for another method',
      rules: [rule({}), rule({ id: 2, method: 'POST', mayHide: true })],
      req: {},
      granted: true,
      mayHide: false,
    },
  ])('$name: granted $granted, may hide $mayHide', ({ rules, req, granted, mayHide }) => {
    expect(accessGrant(rules, request(req))).toEqual({ granted, mayHide });
  });
});
