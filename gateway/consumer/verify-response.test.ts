import { KeyObject, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { certificateDer, createChainVerifier } from '../../certs/index.ts';
import {
  createSignerCache,
  digestEnvelope,
  type SigningIdentity,
  sha256Base64Url,
  signCompactJws,
  signResponse,
} from '../../protocol/index.ts';
import type { RequestClaims } from '../../schemas/index.ts';
import { createTestPki, type TestPki } from '../../tests/support/directory-fixture.ts';
import { errorCodeOf } from '../../tests/support/error-code.ts';
import { verifyResponse } from './verify-response.ts';

const PROVIDER = 'DEMO/GOV/residents-office';
let pki: TestPki;
let provider: SigningIdentity;
let stranger: SigningIdentity;

async function identity(member: string): Promise<SigningIdentity> {
  const issued = await pki.issue({ profile: 'signing', subject: `CN=${member}`, member });
  const x5c = [issued.certificate, pki.issuing.certificate].map((c) =>
    Buffer.from(certificateDer(c)).toString('base64'),
  );
  return { member, privateKey: KeyObject.from(issued.keys.privateKey), x5c };
}

beforeAll(async () => {
  pki = await createTestPki();
  provider = await identity(PROVIDER);
  stranger = await identity('DEMO/GOV/munich');
});

const claims: RequestClaims = {
  v: 2,
  id: randomUUID(),
  iat: Math.floor(Date.now() / 1000),
  client: 'DEMO/GOV/munich/parking-permits',
  service: `${PROVIDER}/register/address-v1`,
  method: 'GET',
  path: `/r1/${PROVIDER}/register/address-v1`,
  query: sha256Base64Url(''),
  body: sha256Base64Url(''),
  userId: null,
  issue: null,
  subject: null,
  purpose: 'parking-permit',
  legalBasis: null,
  consentRef: null,
  hiddenUntil: null,
  hiddenReason: null,
  eid: null,
};
const request = digestEnvelope('header.payload.signature');
const body = Buffer.from('{"street":"Sendlinger Straße"}');

const signers = () =>
  createSignerCache({
    verifier: createChainVerifier({
      anchors: [pki.root.certificate],
      intermediates: [pki.issuing.certificate],
    }),
    isRevoked: () => false,
    clock: Date.now,
  });

const signed = (
  fields: { id?: string; request?: string; status?: number; body?: Uint8Array },
  signer = provider,
) =>
  signResponse(
    {
      id: fields.id ?? claims.id,
      request: fields.request === undefined ? request : digestEnvelope(fields.request),
      status: fields.status ?? 200,
      body: fields.body ?? body,
      now: Date.now(),
    },
    signer,
  ).jws;

const codeOf = (responseJws: string | undefined): string | undefined =>
  errorCodeOf(() =>
    verifyResponse({
      signers: signers(),
      answer: { status: 200, body },
      responseJws,
      request,
      claims,
      providerMember: PROVIDER,
    }),
  );

describe('verifyResponse (docs/protocol.md §6.2)', () => {
  it.each([
    { name: 'the provider signed this answer to this request', jws: () => signed({}), code: undefined },
    { name: 'no signature', jws: () => undefined, code: 'Server.ClientProxy.InvalidResponse' },
    { name: 'not a JWS', jws: () => 'garbage', code: 'Server.ClientProxy.ResponseSignature' },
    {
      name: 'a request envelope instead of a response',
      jws: () =>
        signCompactJws(
          { alg: 'ES256', typ: 'einmal-req+jws', x5c: provider.x5c },
          claims,
          provider.privateKey,
        ),
      code: 'Server.ClientProxy.ResponseSignature',
    },
    {
      name: 'claims of another shape',
      jws: () =>
        signCompactJws(
          { alg: 'ES256', typ: 'einmal-res+jws', x5c: provider.x5c },
          { v: 1 },
          provider.privateKey,
        ),
      code: 'Server.ClientProxy.ResponseSignature',
    },
    {
      name: 'signed by another member',
      jws: () => signed({}, stranger),
      code: 'Server.ClientProxy.ResponseSignature',
    },
    {
      name: "another member's key behind the provider's certificate",
      jws: () => signed({}, { ...stranger, x5c: provider.x5c }),
      code: 'Server.ClientProxy.ResponseSignature',
    },
    {
      name: 'another message id',
      jws: () => signed({ id: randomUUID() }),
      code: 'Server.ClientProxy.InvalidResponse',
    },
    {
      name: 'an answer to another request',
      jws: () => signed({ request: 'other.request.jws' }),
      code: 'Server.ClientProxy.InvalidResponse',
    },
    {
      name: 'another status',
      jws: () => signed({ status: 404 }),
      code: 'Server.ClientProxy.InvalidResponse',
    },
    {
      name: 'another body',
      jws: () => signed({ body: Buffer.from('{}') }),
      code: 'Server.ClientProxy.InvalidResponse',
    },
  ])('$name: $code', ({ jws, code }) => {
    expect(codeOf(jws())).toBe(code);
  });
});
