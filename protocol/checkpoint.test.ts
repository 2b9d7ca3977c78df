import { generateKeyPairSync, webcrypto } from 'node:crypto';
import fc from 'fast-check';
import { CompactSign } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { leafHash, rootHash } from '../audit/index.ts';
import { type CryptoKeyPair, x509 } from '../certs/index.ts';
import {
  type Checkpoint,
  checkpointCertificates,
  cosignCheckpoint,
  createCheckpoint,
  signCheckpoint,
  verifyCheckpoint,
  verifyCosignature,
} from './index.ts';

interface Signer {
  readonly privateKey: webcrypto.CryptoKey;
  readonly publicKey: webcrypto.CryptoKey;
  readonly certificate: string;
}

async function createSigner(name: string): Promise<Signer> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}`,
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2027-01-01T00:00:00Z'),
    keys: keys as unknown as CryptoKeyPair,
    signingAlgorithm: algorithm,
  });
  return { ...keys, certificate: Buffer.from(certificate.rawData).toString('base64') };
}

async function expectInvalid(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'EinmalError', code: 'Audit.InvalidCheckpoint' });
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('checkpoints', () => {
  let gateway: Signer;
  let witness: Signer;
  let checkpoint: Checkpoint;

  beforeAll(async () => {
    [gateway, witness] = await Promise.all([createSigner('gw-node-1'), createSigner('witness')]);
    const leaves = ['a', 'b', 'c'].map((text) => leafHash(Buffer.from(text)));
    checkpoint = createCheckpoint({
      origin: 'DE/GOV/05315000/gw-1/node-1',
      size: 3,
      root: rootHash(leaves),
      now: new Date('2026-03-01T12:00:00.000Z'),
    });
  });

  it('signs a checkpoint that verifies with the certificate or the public key', async () => {
    const jws = await signCheckpoint({
      checkpoint,
      privateKey: gateway.privateKey,
      certificateChain: [gateway.certificate],
    });
    const header = JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: 'ES256', typ: 'einmal-checkpoint+jws', x5c: [gateway.certificate] });
    expect(checkpointCertificates(jws)).toEqual([gateway.certificate]);
    expect(await verifyCheckpoint(jws, { certificate: gateway.certificate })).toEqual(checkpoint);
    expect(await verifyCheckpoint(jws, { publicKey: gateway.publicKey })).toEqual(checkpoint);
    expect(checkpoint.time).toBe('2026-03-01T12:00:00.000Z');
  });

  it('accepts a node:crypto KeyObject as signing key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jws = await signCheckpoint({ checkpoint, privateKey, certificateChain: [gateway.certificate] });
    expect(await verifyCheckpoint(jws, { publicKey })).toEqual(checkpoint);
  });

  it('refuses another signer, a tampered payload and a cosignature presented as a checkpoint', async () => {
    const jws = await signCheckpoint({
      checkpoint,
      privateKey: gateway.privateKey,
      certificateChain: [gateway.certificate],
    });
    await expectInvalid(verifyCheckpoint(jws, { certificate: witness.certificate }));
    const [header, , signature] = jws.split('.');
    const forged = `${header}.${encode({ ...checkpoint, size: 4 })}.${signature}`;
    await expectInvalid(verifyCheckpoint(forged, { certificate: gateway.certificate }));
    const cosignature = await cosignCheckpoint({
      checkpoint,
      privateKey: gateway.privateKey,
      certificateChain: [gateway.certificate],
    });
    await expectInvalid(verifyCheckpoint(cosignature, { certificate: gateway.certificate }));
    await expectInvalid(verifyCosignature(jws, { certificate: gateway.certificate }));
    await expectInvalid(verifyCheckpoint(jws, { certificate: 'bm90IGEgY2VydGlmaWNhdGU=' }));
  });

  it('refuses payloads that are signed but not a canonical, well-formed checkpoint', async () => {
    const sign = (payload: string, header: Record<string, unknown> = {}) =>
      new CompactSign(new TextEncoder().encode(payload))
        .setProtectedHeader({
          alg: 'ES256',
          typ: 'einmal-checkpoint+jws',
          x5c: [gateway.certificate],
          ...header,
        })
        .sign(gateway.privateKey);
    const key = { certificate: gateway.certificate };
    await expectInvalid(verifyCheckpoint(await sign(JSON.stringify(checkpoint, null, 1)), key));
    await expectInvalid(verifyCheckpoint(await sign(JSON.stringify({ ...checkpoint, extra: 1 })), key));
    await expectInvalid(verifyCheckpoint(await sign(JSON.stringify({ ...checkpoint, size: -1 })), key));
    await expectInvalid(verifyCheckpoint(await sign(JSON.stringify({ ...checkpoint, root: 'AAAA' })), key));
    await expectInvalid(
      verifyCheckpoint(await sign(JSON.stringify({ ...checkpoint, time: 'yesterday' })), key),
    );
    await expectInvalid(verifyCheckpoint(await sign('not json'), key));
    await expectInvalid(verifyCheckpoint(await sign(JSON.stringify(checkpoint), { typ: 'JWT' }), key));
    const unsigned = `${encode({ alg: 'none', typ: 'einmal-checkpoint+jws', x5c: [gateway.certificate] })}.${encode(checkpoint)}.`;
    await expectInvalid(verifyCheckpoint(unsigned, key));
  });

  it('answers any string with Audit.InvalidCheckpoint and nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.base64String(), fc.constant(undefined), fc.integer()),
        async (input) => {
          await expectInvalid(verifyCheckpoint(input, { certificate: gateway.certificate }));
          const dotted = `${String(input)}.${String(input)}.${String(input)}`;
          await expectInvalid(verifyCheckpoint(dotted, { certificate: gateway.certificate }));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('verifies a witness cosignature over the same checkpoint, and refuses one over another', async () => {
    const cosignature = await cosignCheckpoint({
      checkpoint,
      privateKey: witness.privateKey,
      certificateChain: [witness.certificate],
    });
    expect(JSON.parse(Buffer.from(cosignature.split('.')[0]!, 'base64url').toString()).typ).toBe(
      'einmal-cosignature+jws',
    );
    expect(await verifyCosignature(cosignature, { certificate: witness.certificate }, checkpoint)).toEqual(
      checkpoint,
    );
    await expectInvalid(verifyCosignature(cosignature, { certificate: gateway.certificate }, checkpoint));
    await expectInvalid(
      verifyCosignature(cosignature, { certificate: witness.certificate }, { ...checkpoint, size: 4 }),
    );
  });
});
