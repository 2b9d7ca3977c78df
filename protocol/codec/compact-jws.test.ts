import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeCompactJws,
  readX5c,
  signCompactJws,
  signCompactJwsBytes,
  splitCompactJws,
  verifyJwsSignature,
} from './compact-jws.ts';

const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const header = { alg: 'ES256', typ: 'einmal-test+jws', x5c: ['AAAA'] } as const;

describe('the x5c-JWS codec', () => {
  it('signs and verifies with a node:crypto key and with a WebCrypto key', async () => {
    const jws = signCompactJws(header, { a: 1 }, keys.privateKey);
    const decoded = decodeCompactJws(jws)!;
    expect(decoded.header).toEqual(header);
    expect(decoded.payload).toEqual({ a: 1 });
    expect(verifyJwsSignature(decoded, keys.publicKey)).toBe(true);

    const web = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const signed = signCompactJwsBytes(header, 'raw text, not JSON', web.privateKey);
    const split = splitCompactJws(signed)!;
    expect(split.payloadBytes.toString()).toBe('raw text, not JSON');
    expect(verifyJwsSignature(split, web.publicKey)).toBe(true);
  });

  it('writes each header as given when one chain signs under several types', () => {
    const x5c = ['AAAA', 'BBBB'];
    for (const typ of ['einmal-req+jws', 'einmal-res+jws', 'einmal-req+jws']) {
      const decoded = decodeCompactJws(signCompactJws({ alg: 'ES256', typ, x5c }, { typ }, keys.privateKey))!;
      expect(decoded.header).toEqual({ alg: 'ES256', typ, x5c });
      expect(decoded.payload).toEqual({ typ });
      expect(verifyJwsSignature(decoded, keys.publicKey)).toBe(true);
    }
  });

  it.each([
    ['another key', (jws: string) => jws, other.publicKey],
    [
      'a flipped signature byte',
      (jws: string) => {
        const [h, p, s] = jws.split('.') as [string, string, string];
        const bytes = Buffer.from(s, 'base64url');
        bytes[5]! ^= 1;
        return `${h}.${p}.${bytes.toString('base64url')}`;
      },
      keys.publicKey,
    ],
    [
      'a changed payload',
      (jws: string) => {
        const [h, , s] = jws.split('.') as [string, string, string];
        return `${h}.${b64url({ a: 2 })}.${s}`;
      },
      keys.publicKey,
    ],
    ['a truncated signature', (jws: string) => jws.slice(0, -4), keys.publicKey],
  ])('refuses a signature that does not verify: %s', (_case, tamper, publicKey) => {
    const jws = tamper(signCompactJws(header, { a: 1 }, keys.privateKey));
    const split = splitCompactJws(jws);
    expect(split === undefined || !verifyJwsSignature(split, publicKey)).toBe(true);
  });

  it.each([
    ['alg none', { ...header, alg: 'none' }],
    ['alg HS256', { ...header, alg: 'HS256' }],
    ['a critical extension', { ...header, crit: ['b64'] }],
  ])('refuses a header it must not trust: %s', (_case, forged) => {
    const good = signCompactJws(header, { a: 1 }, keys.privateKey);
    const [, p, s] = good.split('.') as [string, string, string];
    const split = splitCompactJws(`${b64url(forged)}.${p}.${s}`)!;
    expect(verifyJwsSignature(split, keys.publicKey)).toBe(false);
  });

  it.each([
    ['not a string', 42],
    ['two parts', 'a.b'],
    ['four parts', 'a.b.c.d'],
    ['an empty header', '.e30.AA'],
    ['padding in a part', `${b64url(header)}=.e30.AA`],
    ['a header that is not JSON', `${Buffer.from('{').toString('base64url')}.e30.AA`],
    ['a header that is an array', `${b64url([1])}.e30.AA`],
    ['a header that is null', `${b64url(null)}.e30.AA`],
  ])('takes apart nothing that is not a compact JWS: %s', (_case, text) => {
    expect(splitCompactJws(text)).toBeUndefined();
  });

  it('refuses what is longer than the limit before reading it', () => {
    const jws = signCompactJws(header, { a: 1 }, keys.privateKey);
    expect(splitCompactJws(jws, jws.length)).toBeDefined();
    expect(splitCompactJws(jws, jws.length - 1)).toBeUndefined();
  });

  it.each([
    ['a JSON array', [1, 2]],
    ['a string', 'text'],
    ['null', null],
  ])('decodes only JSON objects as payloads: %s', (_case, payload) => {
    const jws = signCompactJws(header, payload, keys.privateKey);
    expect(decodeCompactJws(jws)).toBeUndefined();
  });

  it.each([
    { x5c: ['MIIB', 'MIIC'], max: 2, ok: true },
    { x5c: ['MIIB', 'MIIC', 'MIID'], max: 2, ok: false },
    { x5c: [], max: 4, ok: false },
    { x5c: 'MIIB', max: 4, ok: false },
    { x5c: ['MII_'], max: 4, ok: false },
    { x5c: [42], max: 4, ok: false },
    { x5c: ['A'.repeat(16_385)], max: 4, ok: false },
  ])('reads an x5c chain only when it is 1..max base64 certificates: $x5c', ({ x5c, max, ok }) => {
    expect(readX5c(x5c, max) !== undefined).toBe(ok);
  });
});
