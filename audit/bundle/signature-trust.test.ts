import { beforeAll, describe, expect, it } from 'vitest';
import {
  certificateDer,
  createChainVerifier,
  exportPrivateKeyPem,
  privateKeyObject,
} from '../../certs/index.ts';
import { signCompactJws } from '../../protocol/index.ts';
import { createTestPki } from '../../tests/support/directory-fixture.ts';
import { createSignatureTrust, type SignatureTrust } from './signature-trust.ts';

let trust: SignatureTrust;
let signed: string;
const at = new Date();

beforeAll(async () => {
  const pki = await createTestPki();
  const munich = await pki.issue({ profile: 'signing', subject: 'CN=munich', member: 'DEMO/GOV/munich' });
  const x5c = [munich.certificate, pki.issuing.certificate].map((c) =>
    Buffer.from(certificateDer(c)).toString('base64'),
  );
  const key = privateKeyObject(await exportPrivateKeyPem(munich.keys.privateKey));
  signed = signCompactJws({ alg: 'ES256', typ: 'einmal-req+jws', x5c }, { id: 'm-1', status: 200 }, key);
  trust = createSignatureTrust({
    verifier: createChainVerifier({
      anchors: [pki.root.certificate],
      intermediates: [pki.issuing.certificate],
    }),
  });
});

describe('signature trust of the offline verifier', () => {
  it('verifies a signature, and again with its header already known', () => {
    for (let i = 0; i < 2; i++) {
      const parsed = trust.check(signed, { usage: 'signing', at });
      expect(parsed).toMatchObject({ typ: 'einmal-req+jws', payload: { id: 'm-1', status: 200 } });
    }
  });

  it('refuses a payload changed under a known header: the signing input is the JWS up to its second dot', () => {
    const [h, p, s] = signed.split('.') as [string, string, string];
    const other = Buffer.from(JSON.stringify({ id: 'm-2', status: 200 })).toString('base64url');
    expect(trust.check(`${h}.${other}.${s}`, { at })).toBe('the signature does not verify');
    // The same bytes moved across the dot are another signing input too.
    expect(trust.check(`${h}.${p.slice(0, -1)}.${p.slice(-1)}${s}`, { at })).toMatch(/ES256|not verify/);
  });

  it('refuses a header that is not base64url, also when it only adds to a header it knows', () => {
    const [h, p, s] = signed.split('.') as [string, string, string];
    trust.check(signed, { at });
    for (const header of [`${h}*`, `${h}=`, '', `${h} `]) {
      expect(trust.check(`${header}.${p}.${s}`, { at })).toBe('not a compact JWS');
    }
    expect(trust.check(`${h}.${p}.${s}.`, { at })).toBe('not a compact JWS');
    expect(trust.check(`${h}.${p}+.${s}`, { at })).toBe('not a compact JWS');
  });
});
