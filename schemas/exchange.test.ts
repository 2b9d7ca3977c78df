import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { storyCitizen } from '../adapters/index.ts';
import { EinmalError, errorResponse } from '../core/errors/index.ts';
import {
  auditRecordSchema,
  errorBodySchema,
  parseVerifiedContextHeaders,
  type RequestClaims,
  requestClaimsSchema,
  responseClaimsSchema,
  type VerifiedContext,
  verifiedContextHeaders,
} from './index.ts';

const digest = (text: string) => createHash('sha256').update(text).digest('base64url');

const claims: RequestClaims = {
  v: 2,
  id: randomUUID(),
  iat: 1_767_225_600,
  client: 'DEMO/GOV/munich/parking-permits',
  service: 'DEMO/GOV/residents-office/register/address-v1',
  method: 'GET',
  path: '/r1/DEMO/GOV/residents-office/register/address-v1',
  query: digest(''),
  body: digest(''),
  userId: null,
  issue: 'PP-2026/0042',
  subject: storyCitizen.id,
  purpose: 'parking-permit',
  legalBasis: null,
  consentRef: null,
  hiddenUntil: null,
  hiddenReason: null,
  eid: digest('token'),
};

describe('request and response claims', () => {
  it('accept the claims of a story request and its response', () => {
    expect(requestClaimsSchema.parse(claims)).toEqual(claims);
    const hidden = { ...claims, hiddenUntil: '9999-12-31T23:59:59.999Z', hiddenReason: 'Investigation' };
    expect(requestClaimsSchema.parse(hidden)).toEqual(hidden);
    const response = {
      v: 1,
      id: claims.id,
      iat: claims.iat,
      req: digest('jws'),
      status: 200,
      body: digest('{}'),
    };
    expect(responseClaimsSchema.parse(response)).toEqual(response);
  });

  it.each([
    ['an extra claim', { ...claims, admin: true }],
    ['a missing claim', { ...claims, eid: undefined }],
    ['version 1 (six-part service ids)', { ...claims, v: 1 }],
    ['a six-part service id', { ...claims, service: 'DEMO/GOV/residents-office/register/address/v1' }],
    ['a fractional iat', { ...claims, iat: 1.5 }],
    ['a non-canonical client', { ...claims, client: 'DEMO/GOV/%6Dunich/parking-permits' }],
    ['a member as service', { ...claims, service: 'DEMO/GOV/residents-office' }],
    ['a lower-case method', { ...claims, method: 'get' }],
    ['a path with query', { ...claims, path: '/a?b' }],
    ['a hex digest', { ...claims, body: createHash('sha256').update('').digest('hex') }],
    ['a lower-case subject', { ...claims, subject: 'de65402138797' }],
    ['a raw query instead of its digest', { ...claims, query: 'name=Anna' }],
    ['an upper-case message id', { ...claims, id: claims.id.toUpperCase() }],
    ['a hiding date with an offset', { ...claims, hiddenUntil: '2026-07-01T12:00:00+02:00' }],
    ['a hiding date without milliseconds', { ...claims, hiddenUntil: '2026-07-01T10:00:00Z' }],
    ['a hiding date in the year 0000', { ...claims, hiddenUntil: '0000-01-01T00:00:00.000Z' }],
    ['a hiding date past 9999', { ...claims, hiddenUntil: '+010000-01-01T00:00:00.000Z' }],
  ])('refuse %s', (_label, value) => {
    expect(requestClaimsSchema.safeParse(value).success).toBe(false);
  });
});

describe('verified context headers', () => {
  const context: VerifiedContext = {
    client: 'DEMO/GOV/munich/parking-permits',
    service: 'DEMO/GOV/residents-office/register/address-v1',
    messageId: claims.id,
    subject: storyCitizen.id,
    purpose: 'parking-permit',
    legalBasis: null,
    userId: null,
    issue: 'PP-2026/0042',
  };

  it('round-trip through the headers the adapter receives', () => {
    const headers = verifiedContextHeaders(context);
    expect(headers['einmal-subject']).toBe(storyCitizen.id);
    expect(headers).not.toHaveProperty('einmal-legal-basis');
    expect(parseVerifiedContextHeaders((name) => headers[name])).toEqual(context);
  });

  it('refuse a bad header naming it', () => {
    const headers: Record<string, string> = {
      ...verifiedContextHeaders(context),
      'einmal-client': 'DEMO/../x',
    };
    expect(() => parseVerifiedContextHeaders((name) => headers[name])).toThrow(/einmal-client/);
    expect(() => parseVerifiedContextHeaders(() => undefined)).toThrow(EinmalError);
  });

  it('says which header is missing, in the answer and in the reason it logs', () => {
    const { 'einmal-message-id': _left, ...headers } = verifiedContextHeaders(context) as Record<
      string,
      string
    >;
    let refusal: unknown;
    try {
      parseVerifiedContextHeaders((name) => headers[name]);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toMatchObject({
      code: 'Client.InvalidHeader',
      message: 'einmal-message-id missing',
      detail: { reason: 'einmal-message-id missing' },
    });
  });
});

describe('error responses', () => {
  it('carry the X-Road error type, the safe message and the error id, not the detail', () => {
    const errorId = randomUUID();
    const error = new EinmalError('Server.ServerProxy.InvalidSignature', {
      detail: 'key mismatch for DE123',
    });
    const response = errorResponse(error, errorId);
    expect(response.status).toBe(403);
    expect(response.headers['x-road-error']).toBe('Server.ServerProxy.InvalidSignature');
    const body = errorBodySchema.parse(JSON.parse(response.body));
    expect(body).toEqual({
      type: 'Server.ServerProxy.InvalidSignature',
      message: 'The request signature is invalid',
      detail: errorId,
    });
    expect(response.body).not.toContain('DE123');
  });
});

describe('audit records', () => {
  const record = {
    logTime: '2026-01-01T00:00:00.123Z',
    messageId: claims.id,
    side: 'provider',
    gateway: 'DEMO/GOV/residents-office/gw1',
    client: claims.client,
    service: claims.service,
    method: 'GET',
    path: '/residents/me',
    subject: storyCitizen.id,
    userId: null,
    issue: 'PP-2026/0042',
    purpose: 'parking-permit',
    legalBasis: null,
    consentRef: null,
    hiddenUntil: null,
    hiddenReason: null,
    status: 200,
    outcome: 'ok',
    errorCode: null,
    requestDigest: digest(''),
    responseDigest: digest('{}'),
    requestSignature: 'eyJhbGciOiJFUzI1NiJ9.eyJ2IjoxfQ.c2ln',
    responseSignature: 'eyJhbGciOiJFUzI1NiJ9.eyJ2IjoxfQ.c2ln',
    eidDigest: digest('token'),
  };

  it('accept a provider record and a rejection record', () => {
    expect(auditRecordSchema.parse(record)).toEqual(record);
    const rejected = {
      ...record,
      status: 403,
      outcome: 'rejected',
      errorCode: 'Server.ServerProxy.AccessDenied',
      responseDigest: null,
      responseSignature: null,
    };
    expect(auditRecordSchema.safeParse(rejected).success).toBe(true);
  });

  it.each([
    ['a query in the path', { path: '/residents?name=Anna' }],
    ['an unknown error code', { errorCode: 'Server.Oops' }],
    ['an unknown side', { side: 'both' }],
    ['a payload field', { body: '{"address":"Marienplatz 1"}' }],
    ['a missing field', { eidDigest: undefined }],
  ])('refuse %s', (_label, change) => {
    expect(auditRecordSchema.safeParse({ ...record, ...change }).success).toBe(false);
  });
});
