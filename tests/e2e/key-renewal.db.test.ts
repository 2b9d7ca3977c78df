import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailure, verifyBundles } from '../../audit/bundle/bundle-verify.ts';
import { exportBundle } from '../../audit/bundle/index.ts';
import {
  certificateDer,
  certificateFingerprint,
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
  openCaStore,
  parseCertificatePem,
  toPem,
} from '../../certs/index.ts';
import { connectInformationSystem, type InformationSystem } from '../../dev/information-system.ts';
import { checkpointCertificates } from '../../protocol/index.ts';
import { parseMemberId } from '../../schemas/index.ts';
import { addressCaller } from '../support/address-calls.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';
import { waitUntilWitnessed } from '../support/witnessed.ts';

const RESIDENTS = 'DEMO/GOV/residents-office/gw1';
const MEMBER = 'DEMO/GOV/residents-office';

/**
 * Keys over time (docs/operations/scaling-retention-keys.md): the residents' office renews its
 * gateway's TLS (authentication) certificate and its member signing certificate, the one that also
 * signs its log checkpoints. The new TLS certificate is added beside the old one in the directory
 * first, the gateway switches, the old one is withdrawn: exchanges succeed throughout, the witness
 * cosigns checkpoints under the new key, and the log with records and checkpoints under both keys
 * verifies offline.
 */
describe('renewing a gateway’s certificates and its checkpoint key', () => {
  let federation: TestFederation;
  let permits: InformationSystem;
  let operator: Agent;
  let callAddress: ReturnType<typeof addressCaller>;

  beforeAll(async () => {
    federation = await startTestFederation();
    permits = await connectInformationSystem(federation.endpoints, 'DEMO/GOV/munich/parking-permits');
    callAddress = addressCaller(permits, await federation.citizenToken('population.address'));
    const file = (path: string) => readFile(join(federation.dir, path), 'utf8');
    const { cert, key } = federation.manifest.operator;
    operator = new Agent({
      connect: {
        ca: await readFile(federation.endpoints.pki.caBundle, 'utf8'),
        cert: await file(cert),
        key: await file(key),
      },
    });
  }, 120_000);
  afterAll(async () => {
    await permits?.close();
    await operator?.close();
    await federation?.close();
  });

  /** The registry's admin API, as the federation operator calls it (mutual TLS). */
  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await request(`${federation.endpoints.registry.admin}/admin/${path}`, {
      method: method as 'GET',
      dispatcher: operator,
      headers: body ? { 'content-type': 'application/json' } : {},
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.body.text();
    return { status: response.statusCode, json: text ? JSON.parse(text) : undefined };
  };
  const fingerprints = async () =>
    ((await admin('GET', 'gateway-certificates')).json as { gateway: string; fingerprint: string }[])
      .filter((entry) => entry.gateway === RESIDENTS)
      .map((entry) => entry.fingerprint)
      .sort();
  const served = async () => {
    for (let i = 0; i < 3; i++) {
      const answer = await callAddress();
      expect(answer.status, answer.body).toBe(200);
      expect(answer.city).toBe('München');
    }
  };
  const witnessed = () => waitUntilWitnessed(federation.gatewayDb(RESIDENTS), RESIDENTS);

  it('overlaps old and new certificates in the directory, switches, withdraws the old, and the log verifies', async () => {
    await served();
    const before = await witnessed();
    const member = federation.manifest.members.find((m) => m.id === MEMBER)!;
    const paths = {
      tlsCert: join(federation.dir, member.gateway.tls.cert),
      tlsKey: join(federation.dir, member.gateway.tls.key),
      signingCert: join(federation.dir, member.signing.cert),
      signingKey: join(federation.dir, member.signing.key),
    };
    const oldTls = parseCertificatePem(await readFile(paths.tlsCert, 'utf8'));
    const oldSigning = parseCertificatePem(await readFile(paths.signingCert, 'utf8'));
    expect(await fingerprints()).toEqual([certificateFingerprint(oldTls)]);

    // The operator's new keys and certificates from the issuing CA.
    const ca = await openCaStore(join(federation.dir, federation.manifest.caStores.issuing));
    const renew = async (profile: 'auth' | 'signing', subject: string) => {
      const keys = await generateKeyPair();
      const csrPem = await createCsr({
        keys,
        subject,
        profile,
        ...(profile === 'auth' ? { host: ['localhost', '127.0.0.1'] } : { member: parseMemberId(MEMBER) }),
      });
      const certificate = await ca.issue({ csrPem, profile, now: new Date() });
      return { certificate, keyPem: await exportPrivateKeyPem(keys.privateKey) };
    };
    const newTls = await renew('auth', `CN=${RESIDENTS} renewed, O=${MEMBER}`);
    const newSigning = await renew('signing', `CN=${MEMBER} renewed, O=${MEMBER}`);

    // 1. The new TLS certificate joins the old one in the directory; peers accept both.
    const added = await admin('POST', 'gateway-certificates', {
      gateway: RESIDENTS,
      fingerprint: certificateFingerprint(newTls.certificate),
    });
    expect(added.status).toBe(201);
    expect(await fingerprints()).toEqual(
      [certificateFingerprint(oldTls), certificateFingerprint(newTls.certificate)].sort(),
    );
    await federation.refreshDirectories();
    // The adapter, which admits only its gateway's certificate, admits both for the switch.
    await federation.restartAdapter(MEMBER, `${toPem(oldTls)}${toPem(newTls.certificate)}`);
    await served();

    // 2. The gateway switches to its new certificates and keys (with several nodes: one after the other).
    await writeFile(paths.tlsCert, toPem(newTls.certificate));
    await writeFile(paths.tlsKey, newTls.keyPem, { mode: 0o600 });
    await writeFile(paths.signingCert, toPem(newSigning.certificate));
    await writeFile(paths.signingKey, newSigning.keyPem, { mode: 0o600 });
    await federation.restartGateway(RESIDENTS);
    await served();

    // Its answers are signed with the new key, and the witness cosigns its checkpoints under it.
    const newestRecord = await federation
      .gatewayDb(RESIDENTS)
      .selectFrom('audit_record')
      .select('canonical')
      .where('side', '=', 'provider')
      .orderBy('idx', 'desc')
      .executeTakeFirstOrThrow();
    const responseJws = JSON.parse(Buffer.from(newestRecord.canonical).toString('utf8')).responseSignature;
    const der = (certificate: typeof oldSigning) =>
      Buffer.from(certificateDer(certificate)).toString('base64');
    expect(checkpointCertificates(responseJws)[0]).toBe(der(newSigning.certificate));
    const after = await witnessed();
    expect(Number(after.size)).toBeGreaterThan(Number(before.size));
    expect(checkpointCertificates(before.jws)[0]).toBe(der(oldSigning));
    expect(checkpointCertificates(after.jws)[0]).toBe(der(newSigning.certificate));

    // 3. The old TLS certificate is withdrawn; the last one cannot be.
    const withdrawn = await admin(
      'DELETE',
      `gateway-certificates?gateway=${encodeURIComponent(RESIDENTS)}&fingerprint=${certificateFingerprint(oldTls)}`,
    );
    expect(withdrawn.status).toBe(204);
    const last = await admin(
      'DELETE',
      `gateway-certificates?gateway=${encodeURIComponent(RESIDENTS)}&fingerprint=${certificateFingerprint(newTls.certificate)}`,
    );
    expect(last.status).toBe(409);
    expect(await fingerprints()).toEqual([certificateFingerprint(newTls.certificate)]);
    await federation.refreshDirectories();
    await federation.restartAdapter(MEMBER, toPem(newTls.certificate));
    await served();

    // The log, with records and checkpoints under both signing keys, verifies offline.
    await witnessed();
    const out = join(federation.dir, 'residents-after-renewal');
    await exportBundle({ db: federation.gatewayDb(RESIDENTS), tree: RESIDENTS, out });
    const report = await verifyBundles({
      bundles: [out],
      anchorPem: await readFile(federation.endpoints.pki.rootCa, 'utf8'),
    });
    expect(report.failures.map(describeFailure)).toEqual([]);
    expect(report.ok).toBe(true);
  }, 120_000);
});
