import { beforeAll, describe, expect, it } from 'vitest';
import { certificateDer, createChainVerifier, normalizeSerial } from '../certs/index.ts';
import { createTestPki, type IssuedCredential, type TestPki } from '../tests/support/directory-fixture.ts';
import { errorCodeOf } from '../tests/support/error-code.ts';
import { signCompactJws, splitCompactJws, verifyJwsSignature } from './codec/compact-jws.ts';
import { createSignerCache } from './signer-cache.ts';

let pki: TestPki;
let signing: IssuedCredential;
let auth: IssuedCredential;
let foreignRootSigning: IssuedCredential;
const base64 = (credential: IssuedCredential | { certificate: IssuedCredential['certificate'] }) =>
  Buffer.from(certificateDer(credential.certificate)).toString('base64');

beforeAll(async () => {
  pki = await createTestPki();
  signing = await pki.issue({ profile: 'signing', subject: 'CN=DEMO/GOV/munich', member: 'DEMO/GOV/munich' });
  auth = await pki.issue({ profile: 'auth', subject: 'CN=gw1', host: ['localhost'] });
  const other = await createTestPki('OTHER');
  foreignRootSigning = await other.issue({
    profile: 'signing',
    subject: 'CN=DEMO/GOV/munich',
    member: 'DEMO/GOV/munich',
  });
});

/** A cache over the test PKI that counts the chain checks it asks for. */
function cache(revoked: readonly string[] = []) {
  const verifier = createChainVerifier({
    anchors: [pki.root.certificate],
    intermediates: [pki.issuing.certificate],
  });
  let checks = 0;
  const signers = createSignerCache({
    verifier: {
      verify: (der, options) => {
        checks++;
        return verifier.verify(der, options);
      },
    },
    isRevoked: (serial) => revoked.includes(serial),
    clock: Date.now,
  });
  return { signers, checks: () => checks };
}

describe('createSignerCache', () => {
  it('names the member of a trusted signing certificate, checking its chain once', () => {
    const { signers, checks } = cache();
    const x5c = [base64(signing), base64({ certificate: pki.issuing.certificate })];
    const first = signers.resolve(x5c, 'Server.ServerProxy');
    const again = signers.resolve(x5c, 'Server.ServerProxy');
    expect(first.member).toBe('DEMO/GOV/munich');
    expect(again).toBe(first);
    expect(checks()).toBe(1);
    expect(first.serialNumber).toBe(normalizeSerial(signing.certificate.serialNumber));
  });

  it('checks revocation on every call, also for a cached signer', () => {
    const serial = normalizeSerial(signing.certificate.serialNumber);
    const revoked: string[] = [];
    const { signers } = cache(revoked);
    signers.resolve([base64(signing)], 'Server.ServerProxy');
    revoked.push(serial);
    expect(errorCodeOf(() => signers.resolve([base64(signing)], 'Server.ServerProxy'))).toBe(
      'Server.ServerProxy.RevokedSigner',
    );
    expect(errorCodeOf(() => signers.resolve([base64(signing)], 'Server.ClientProxy'))).toBe(
      'Server.ClientProxy.ResponseSignature',
    );
  });

  it.each([
    { name: 'no x5c', x5c: () => undefined },
    { name: 'an empty x5c', x5c: () => [] },
    { name: 'a chain longer than four', x5c: () => Array(5).fill(base64(signing)) },
    {
      name: 'bytes that are no certificate',
      x5c: () => [Buffer.from('not a certificate').toString('base64')],
    },
    { name: 'a TLS certificate, not a signing one', x5c: () => [base64(auth)] },
    { name: 'a signing certificate of another federation', x5c: () => [base64(foreignRootSigning)] },
  ])('refuses $name, in the namespace of the side that asks', ({ x5c }) => {
    const { signers } = cache();
    expect(errorCodeOf(() => signers.resolve(x5c(), 'Server.ServerProxy'))).toBe(
      'Server.ServerProxy.UntrustedSigner',
    );
    expect(errorCodeOf(() => signers.resolve(x5c(), 'Server.ClientProxy'))).toBe(
      'Server.ClientProxy.ResponseSignature',
    );
  });

  it('hands out the key of the certificate it verified: its signatures verify, others do not', () => {
    const { signers } = cache();
    const signer = signers.resolve([base64(signing)], 'Server.ServerProxy');
    const header = { alg: 'ES256', typ: 'einmal-req+jws', x5c: [base64(signing)] } as const;
    const own = splitCompactJws(signCompactJws(header, { v: 1 }, signing.keys.privateKey))!;
    const other = splitCompactJws(signCompactJws(header, { v: 1 }, auth.keys.privateKey))!;
    expect([verifyJwsSignature(own, signer.publicKey), verifyJwsSignature(other, signer.publicKey)]).toEqual([
      true,
      false,
    ]);
  });
});
