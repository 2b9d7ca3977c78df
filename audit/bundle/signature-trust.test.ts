import { beforeAll, describe, expect, it } from 'vitest';
import {
  certificateDer,
  createChainVerifier,
  exportPrivateKeyPem,
  privateKeyObject,
} from '../../certs/index.ts';
import { signCompactJws } from '../../protocol/index.ts';
import { printMemberId } from '../../schemas/index.ts';
import { createTestPki } from '../../tests/support/directory-fixture.ts';
import { createSignatureTrust, type SignatureTrust } from './signature-trust.ts';

let trust: SignatureTrust;
let signed: string;
/** One signature by each of six members: more signers than the trust keeps as recent headers. */
let bySigner: { member: string; jws: string }[];
const at = new Date();

beforeAll(async () => {
  const pki = await createTestPki();
  bySigner = [];
  for (let i = 0; i < 6; i++) {
    const member = `DEMO/GOV/member-${i}`;
    const credential = await pki.issue({ profile: 'signing', subject: `CN=member-${i}`, member });
    const x5c = [credential.certificate, pki.issuing.certificate].map((c) =>
      Buffer.from(certificateDer(c)).toString('base64'),
    );
    const key = privateKeyObject(await exportPrivateKeyPem(credential.keys.privateKey));
    const jws = signCompactJws(
      { alg: 'ES256', typ: 'einmal-req+jws', x5c },
      { id: `m-${i}`, status: 200 },
      key,
    );
    bySigner.push({ member, jws });
  }
  signed = bySigner[0]!.jws;
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
      expect(parsed).toMatchObject({ typ: 'einmal-req+jws', payload: { id: 'm-0', status: 200 } });
    }
  });

  it('refuses a payload changed under a known header: the signing input is the JWS up to its second dot', () => {
    const [h, p, s] = signed.split('.') as [string, string, string];
    const other = Buffer.from(JSON.stringify({ id: 'm-9', status: 200 })).toString('base64url');
    expect(p).not.toBe(other);
    expect(trust.check(`${h}.${other}.${s}`, { at })).toBe('the signature does not verify');
  });

  it('gives each signature its own signer, however many signers take turns', () => {
    for (let round = 0; round < 3; round++) {
      for (const [i, { member, jws }] of bySigner.entries()) {
        const parsed = trust.check(jws, { usage: 'signing', at });
        if (typeof parsed === 'string') throw new Error(parsed);
        expect(parsed.payload.id).toBe(`m-${i}`);
        expect(printMemberId(parsed.certificate.member!)).toBe(member);
      }
    }
  });

  it('does not take a header for a known one it differs from by one character', () => {
    const [h, p, s] = signed.split('.') as [string, string, string];
    trust.check(signed, { at });
    // Inside the signer's certificate: the header still decodes, to another chain.
    const at40 = h[40] === 'A' ? 'B' : 'A';
    const changed = `${h.slice(0, 40)}${at40}${h.slice(41)}`;
    expect(changed).toHaveLength(h.length);
    expect(trust.check(`${changed}.${p}.${s}`, { at })).toEqual(expect.any(String));
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
