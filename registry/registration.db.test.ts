import { Hono } from 'hono';
import { CompactSign } from 'jose';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  certificateFingerprint,
  createCsr,
  generateKeyPair,
  parseCertificateBundle,
  validateChain,
} from '../certs/index.ts';
import { type Database, migrateToLatest } from '../core/database/index.ts';
import { silentLogger } from '../core/index.ts';
import { createRegistrationRequest, type RegistrationClaims } from '../protocol/index.ts';
import { createTestDatabase } from '../tests/support/database.ts';
import { createTestPki, type IssuedCredential, type TestPki } from '../tests/support/directory-fixture.ts';
import { addMember, addSubsystem, findGateway, type RegistryDb, registryMigrations } from './db/index.ts';
import { buildDirectory } from './directory-builder.ts';
import { createRegistrationRoutes } from './registration.ts';

const MUNICH = 'DEMO/GOV/munich';
const GATEWAY = `${MUNICH}/gw1`;
const settings = { instance: 'DEMO', ttlSeconds: 600 };

let database: Database;
let db: Kysely<RegistryDb>;
let pki: TestPki;
let munichSigning: IssuedCredential;
let app: Hono;
const publish = vi.fn(async () => {});

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateToLatest(database.db, registryMigrations);
  db = database.db.withSchema(registryMigrations.schema) as Kysely<RegistryDb>;
  pki = await createTestPki();
  munichSigning = await pki.issue({ profile: 'signing', subject: `CN=${MUNICH}`, member: MUNICH });
  await addMember(db, { id: MUNICH, name: 'Landeshauptstadt München' });
  await addMember(db, { id: 'DEMO/GOV/vehicle-authority', name: 'Vehicle registration authority' });
  const routes = createRegistrationRoutes({
    db,
    ca: pki.issuing,
    anchor: pki.root.certificate,
    clock: Date.now,
    log: silentLogger,
    checkDirectory: (trx) => buildDirectory(trx, settings, new Date()),
    publish,
  });
  app = new Hono();
  app.route('/', routes.publicRoutes);
  app.route('/', routes.adminRoutes);
});

afterAll(() => database?.close());

/** A new gateway key, its CSR and the claims naming them. */
async function newGateway(gateway = GATEWAY) {
  const keys = await generateKeyPair();
  const csr = await createCsr({
    keys,
    subject: `CN=${gateway}`,
    profile: 'auth',
    host: ['localhost', '127.0.0.1'],
  });
  const claims: RegistrationClaims = {
    v: 1,
    gateway,
    address: 'https://localhost:4410',
    csr,
    iat: Math.floor(Date.now() / 1000),
  };
  return { keys, csr, claims };
}

const submit = (request: string) =>
  app.request('/registrations', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ request }),
  });

async function codeOf(response: Response): Promise<string> {
  return ((await response.json()) as { type: string }).type;
}

describe('gateway registration', () => {
  it('takes a doubly signed request, the operator approves, the CA issues and the directory lists it', async () => {
    const gateway = await newGateway();
    const request = await createRegistrationRequest({
      claims: gateway.claims,
      authKey: gateway.keys.privateKey,
      memberKey: munichSigning.keys.privateKey,
      memberChain: [munichSigning.certificate, pki.issuing.certificate],
    });
    const submitted = await submit(request);
    expect(submitted.status).toBe(201);
    const { id } = (await submitted.json()) as { id: string };

    const pending = (await (await app.request('/admin/registrations')).json()) as {
      id: string;
      gateway: string;
    }[];
    expect(pending).toEqual([
      expect.objectContaining({ id, gateway: GATEWAY, member: MUNICH, status: 'pending' }),
    ]);
    expect((await app.request(`/registrations/${id}/certificate`)).status).toBe(404);

    const again = await submit(request);
    expect(again.status).toBe(409);
    expect(await codeOf(again)).toBe('Registry.DuplicateRegistration');

    const approval = await app.request(`/admin/registrations/${id}/approve`, { method: 'POST' });
    expect(approval.status).toBe(200);
    const approved = (await approval.json()) as { status: string; certificateFingerprint: string };
    expect(approved.status).toBe('approved');
    expect(publish).toHaveBeenCalledTimes(1);

    const certificateResponse = await app.request(`/registrations/${id}/certificate`);
    expect(certificateResponse.status).toBe(200);
    const [certificate, issuing] = parseCertificateBundle(await certificateResponse.text());
    await validateChain({
      certificate: certificate!,
      intermediates: [issuing!],
      anchors: [pki.root.certificate],
      usage: 'auth',
    });
    expect(certificateFingerprint(certificate!)).toBe(approved.certificateFingerprint);

    expect((await findGateway(db, GATEWAY))?.authCertificateFingerprints).toEqual([
      approved.certificateFingerprint,
    ]);
    const directory = await buildDirectory(db, settings, new Date());
    expect(directory.gateways).toEqual([
      expect.objectContaining({
        id: GATEWAY,
        address: 'https://localhost:4410',
        authCertificateFingerprints: [approved.certificateFingerprint],
      }),
    ]);

    const twice = await app.request(`/admin/registrations/${id}/approve`, { method: 'POST' });
    expect(twice.status).toBe(409);
    expect(await codeOf(twice)).toBe('Client.Conflict');

    // A renewed key of the registered gateway is a new request; its certificate is added.
    const renewed = await newGateway();
    const renewal = await submit(
      await createRegistrationRequest({
        claims: renewed.claims,
        authKey: renewed.keys.privateKey,
        memberKey: munichSigning.keys.privateKey,
        memberChain: [munichSigning.certificate],
      }),
    );
    expect(renewal.status).toBe(201);
    const renewalId = ((await renewal.json()) as { id: string }).id;
    expect((await app.request(`/admin/registrations/${renewalId}/approve`, { method: 'POST' })).status).toBe(
      200,
    );
    expect((await findGateway(db, GATEWAY))?.authCertificateFingerprints).toHaveLength(2);
  });

  it("approves a new gateway with the clients it hosts and its public address; a known gateway's stay", async () => {
    const id = `${MUNICH}/gw-hosting`;
    await addSubsystem(db, { id: `${MUNICH}/parking-permits` });
    const submitGateway = async () => {
      const gateway = await newGateway(id);
      const response = await submit(
        await createRegistrationRequest({
          claims: gateway.claims,
          authKey: gateway.keys.privateKey,
          memberKey: munichSigning.keys.privateKey,
          memberChain: [munichSigning.certificate],
        }),
      );
      return ((await response.json()) as { id: string }).id;
    };
    const approve = (registration: string, body: string) =>
      app.request(`/admin/registrations/${registration}/approve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const first = await submitGateway();
    for (const bad of [
      '{not json',
      '{"clients": "x"}',
      '{"publicAddress": "http://plain:1"}',
      '{"extra": 1}',
    ]) {
      const refused = await approve(first, bad);
      expect(refused.status).toBe(400);
      expect(await codeOf(refused)).toBe('Client.BadRequest');
    }
    const unknownClient = await approve(first, JSON.stringify({ clients: [`${MUNICH}/nobody`] }));
    expect(await codeOf(unknownClient)).toBe('Registry.UnknownReference');
    expect(await findGateway(db, id)).toBeUndefined();

    const approved = await approve(
      first,
      JSON.stringify({
        clients: [`${MUNICH}/parking-permits`],
        publicAddress: 'https://gw.munich.example:4710',
      }),
    );
    expect(approved.status).toBe(200);
    expect(await findGateway(db, id)).toMatchObject({
      clients: [`${MUNICH}/parking-permits`],
      publicAddress: 'https://gw.munich.example:4710',
    });

    const renewal = await submitGateway();
    const changing = await approve(
      renewal,
      JSON.stringify({ clients: [], publicAddress: 'https://other.example' }),
    );
    expect(changing.status).toBe(409);
    expect(await codeOf(changing)).toBe('Client.Conflict');
    expect((await approve(renewal, '')).status).toBe(200);
    expect((await findGateway(db, id))?.authCertificateFingerprints).toHaveLength(2);
  });

  it('refuses unsigned requests with Registry.InvalidRegistration', async () => {
    const gateway = await newGateway(`${MUNICH}/gw-unsigned`);
    const none = `${Buffer.from('{"alg":"none","typ":"einmal-registration+jws"}').toString('base64url')}.${Buffer.from(
      JSON.stringify(gateway.claims),
    ).toString('base64url')}.`;
    const popOnly = await new CompactSign(new TextEncoder().encode(JSON.stringify(gateway.claims)))
      .setProtectedHeader({ alg: 'ES256', typ: 'einmal-registration-pop+jws' })
      .sign(gateway.keys.privateKey);
    for (const request of [JSON.stringify(gateway.claims), none, popOnly, 'x.y.z']) {
      const response = await submit(request);
      expect(response.status).toBe(400);
      expect(await codeOf(response)).toBe('Registry.InvalidRegistration');
    }
    for (const body of ['{not json', '{"request": 5}', '[]']) {
      const response = await app.request('/registrations', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(await codeOf(response)).toBe('Registry.InvalidRegistration');
    }
    const plain = await app.request('/registrations', { method: 'POST', body: 'hello' });
    expect(plain.status).toBe(400);
    expect(await codeOf(plain)).toBe('Registry.InvalidRegistration');
  });

  it('refuses wrongly signed requests with Registry.RegistrationSignature', async () => {
    const gateway = await newGateway(`${MUNICH}/gw-forged`);
    const vehicleSigning = await pki.issue({
      profile: 'signing',
      subject: 'CN=DEMO/GOV/vehicle-authority',
      member: 'DEMO/GOV/vehicle-authority',
    });
    const foreign = await createTestPki();
    const foreignMunich = await foreign.issue({
      profile: 'signing',
      subject: `CN=${MUNICH}`,
      member: MUNICH,
    });
    const munichTls = await pki.issue({ profile: 'auth', subject: `CN=${MUNICH}/tls`, host: ['localhost'] });
    const otherKey = await generateKeyPair();
    const cases = {
      'another member signs': {
        authKey: gateway.keys.privateKey,
        memberKey: vehicleSigning.keys.privateKey,
        memberChain: [vehicleSigning.certificate],
      },
      'a certificate outside the federation': {
        authKey: gateway.keys.privateKey,
        memberKey: foreignMunich.keys.privateKey,
        memberChain: [foreignMunich.certificate, foreign.issuing.certificate],
      },
      'a federation certificate that is not a signing one': {
        authKey: gateway.keys.privateKey,
        memberKey: munichTls.keys.privateKey,
        memberChain: [munichTls.certificate],
      },
      'a key other than the certificate in x5c': {
        authKey: gateway.keys.privateKey,
        memberKey: otherKey.privateKey,
        memberChain: [munichSigning.certificate],
      },
      'no proof of possession of the CSR key': {
        authKey: otherKey.privateKey,
        memberKey: munichSigning.keys.privateKey,
        memberChain: [munichSigning.certificate],
      },
    };
    for (const [name, signers] of Object.entries(cases)) {
      const response = await submit(await createRegistrationRequest({ claims: gateway.claims, ...signers }));
      expect({ name, status: response.status, code: await codeOf(response) }).toEqual({
        name,
        status: 400,
        code: 'Registry.RegistrationSignature',
      });
    }
    expect(await (await app.request('/admin/registrations?status=all')).json()).not.toContainEqual(
      expect.objectContaining({ gateway: `${MUNICH}/gw-forged` }),
    );
  });

  it('refuses a signed request carrying a broken CSR, and unknown registrations, without a 500', async () => {
    const gateway = await newGateway(`${MUNICH}/gw-badcsr`);
    const response = await submit(
      await createRegistrationRequest({
        claims: { ...gateway.claims, csr: corruptMiddle(gateway.csr) },
        authKey: gateway.keys.privateKey,
        memberKey: munichSigning.keys.privateKey,
        memberChain: [munichSigning.certificate],
      }),
    );
    expect(response.status).toBe(400);
    expect(await codeOf(response)).toBe('Pki.InvalidCsr');
    for (const path of [
      '/registrations/nope/certificate',
      '/registrations/00000000-0000-4000-8000-000000000000',
    ]) {
      const missing = await app.request(path);
      expect(missing.status).toBe(404);
      expect(await codeOf(missing)).toBe('Client.NotFound');
    }
    const approve = await app.request('/admin/registrations/nope/approve', { method: 'POST' });
    expect(approve.status).toBe(404);
    expect((await app.request('/admin/registrations?status=bogus')).status).toBe(400);
  });
});

/** The PEM with one base64 character in the middle of its body changed (always a real change). */
function corruptMiddle(pem: string): string {
  const start = pem.indexOf('\n') + 1;
  const at = start + Math.floor((pem.indexOf('-----END') - start) / 2);
  const index = pem[at] === '\n' ? at + 1 : at;
  return `${pem.slice(0, index)}${pem[index] === 'A' ? 'B' : 'A'}${pem.slice(index + 1)}`;
}
