import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendLeaves, getRoot, getTreeSize, leafHash } from '../../audit/index.ts';
import { certificateDer, parseCertificatePem, privateKeyObject } from '../../certs/index.ts';
import { connectInformationSystem, type InformationSystem } from '../../dev/information-system.ts';
import {
  canonicalJson,
  checkpointCertificates,
  createCheckpoint,
  createRegistryFetch,
  type RegistryFetch,
  signCheckpoint,
  verifyCheckpoint,
  verifyCosignature,
} from '../../protocol/index.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';

const ADDRESS = '/r1/DEMO/GOV/residents-office/register/address-v1';
const MUNICH_GATEWAY = 'DEMO/GOV/munich/gw1';

/** Polls until `probe` returns something, or fails after `ms`. */
async function eventually<T>(probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('checkpoints witnessed by the registry', () => {
  let federation: TestFederation;
  let permits: InformationSystem;
  let token: string;
  let registry: ReturnType<typeof createRegistryFetch>;
  let witnessUrl: string;

  const gatewayDb = () => federation.gatewayDb(MUNICH_GATEWAY);
  const exchange = async () => {
    const answer = await permits.call('GET', ADDRESS, {
      headers: { 'einmal-eid-token': token, 'einmal-purpose': 'parking-permit' },
    });
    expect(answer.status, answer.body).toBe(200);
  };
  const witnessed = async () => {
    const response = await registry.fetch(`${witnessUrl}/checkpoints/${encodeURIComponent(MUNICH_GATEWAY)}`, {
      headers: {},
      signal: AbortSignal.timeout(5_000),
    });
    return { status: response.status, body: JSON.parse(await response.text()) };
  };
  /** The newest local checkpoint once the witness has cosigned one of exactly `size` records. */
  const cosignedAt = (size: number) =>
    eventually(async () => {
      const row = await gatewayDb()
        .selectFrom('checkpoint')
        .selectAll()
        .where('tree', '=', MUNICH_GATEWAY)
        .where('size', '=', size)
        .where('cosignature', 'is not', null)
        .executeTakeFirst();
      return row ?? undefined;
    });
  const refusals = (code: string) =>
    federation
      .logLines()
      .filter((line) => line.msg === 'checkpoint not witnessed; retrying next round' && line.code === code);

  /** HTTPS to the registry presenting the TLS credentials `tls` (files of the federation folder). */
  async function registryFetchWith(tls: { cert: string; key: string } | undefined): Promise<RegistryFetch> {
    const ca = await readFile(federation.endpoints.pki.caBundle, 'utf8');
    if (!tls) return createRegistryFetch({ ca });
    const [cert, key] = await Promise.all(
      [tls.cert, tls.key].map((path) => readFile(join(federation.dir, path), 'utf8')),
    );
    return createRegistryFetch({ ca, client: { cert: cert!, key: key! } });
  }

  beforeAll(async () => {
    federation = await startTestFederation();
    permits = await connectInformationSystem(federation.endpoints, 'DEMO/GOV/munich/parking-permits');
    token = await federation.citizenToken('population.address');
    registry = createRegistryFetch({ ca: await readFile(federation.endpoints.pki.caBundle, 'utf8') });
    witnessUrl = federation.endpoints.registry.directory.replace(/\/directory$/, '/witness');
  }, 120_000);
  afterAll(async () => {
    await permits?.close();
    await registry?.close();
    await federation?.close();
  });

  it('has every exchange covered by a checkpoint the registry countersigned within seconds', async () => {
    for (let i = 0; i < 3; i++) await exchange();
    const size = await getTreeSize(gatewayDb(), MUNICH_GATEWAY);
    expect(size).toBe(3);
    const started = Date.now();
    const local = await cosignedAt(size);
    expect(Date.now() - started).toBeLessThan(5_000);

    // The checkpoint names this node's log and its root; the registry serves it with its cosignature.
    const checkpoint = await verifyCheckpoint(local.jws, {
      certificate: checkpointCertificates(local.jws)[0]!,
    });
    expect(checkpoint).toMatchObject({ origin: MUNICH_GATEWAY, size: 3, root: local.root });
    const served = await witnessed();
    expect(served.status).toBe(200);
    expect(served.body.checkpoint).toBe(local.jws);
    const witnessCertificate = checkpointCertificates(served.body.cosignature)[0]!;
    expect(
      await verifyCosignature(served.body.cosignature, { certificate: witnessCertificate }, checkpoint),
    ).toEqual(checkpoint);
    // The cosigner is the registry's own witness certificate, not its directory-signing key.
    const witnessSigner = parseCertificatePem(
      await readFile(join(federation.dir, federation.manifest.registry.witness.cert), 'utf8'),
    );
    expect(witnessCertificate).toBe(Buffer.from(certificateDer(witnessSigner)).toString('base64'));
  });

  it('refuses the gateway’s checkpoints once it rewrites a witnessed record', async () => {
    const db = gatewayDb();
    const size = await getTreeSize(db, MUNICH_GATEWAY);
    const witnessedRoot = (await cosignedAt(size)).root;

    // The operator alters the purpose of the first record and rebuilds the Merkle tree to match.
    await db.transaction().execute(async (trx) => {
      const records = await trx
        .selectFrom('audit_record')
        .select(['idx', 'canonical'])
        .where('tree', '=', MUNICH_GATEWAY)
        .orderBy('idx')
        .execute();
      const first = JSON.parse(Buffer.from(records[0]!.canonical).toString('utf8'));
      const altered = new TextEncoder().encode(canonicalJson({ ...first, purpose: 'tax-audit' }));
      await trx
        .updateTable('audit_record')
        .set({ canonical: altered })
        .where('tree', '=', MUNICH_GATEWAY)
        .where('idx', '=', 0)
        .execute();
      await trx.deleteFrom('merkle_node').where('tree', '=', MUNICH_GATEWAY).execute();
      await trx.deleteFrom('tree_head').where('tree', '=', MUNICH_GATEWAY).execute();
      await appendLeaves(
        trx,
        MUNICH_GATEWAY,
        records.map((record, i) => leafHash(i === 0 ? altered : new Uint8Array(record.canonical))),
      );
    });
    const rewrittenRoot = await getRoot(db, MUNICH_GATEWAY, size);
    expect(Buffer.from(rewrittenRoot).toString('base64')).not.toBe(witnessedRoot);

    // The log grows; its next checkpoint carries a consistency proof from the witnessed size, but
    // over the rewritten history, and the witness refuses it.
    await exchange();
    await eventually(async () => (refusals('Witness.InconsistentCheckpoint').length > 0 ? true : undefined));
    const newest = await db
      .selectFrom('checkpoint')
      .selectAll()
      .where('tree', '=', MUNICH_GATEWAY)
      .orderBy('size', 'desc')
      .executeTakeFirstOrThrow();
    expect(Number(newest.size)).toBe(size + 1);
    expect(newest.cosignature).toBeNull();
    const served = await witnessed();
    expect(
      (
        await verifyCheckpoint(served.body.checkpoint, {
          certificate: checkpointCertificates(served.body.checkpoint)[0]!,
        })
      ).size,
    ).toBe(size);

    // Presenting the rewritten log at the witnessed size is a fork, even when properly signed.
    const munich = federation.manifest.members.find((member) => member.id === 'DEMO/GOV/munich')!;
    const [signingPem, signingKeyPem, issuingPem] = await Promise.all(
      [munich.signing.cert, munich.signing.key, federation.manifest.issuingCa].map((path) =>
        readFile(join(federation.dir, path), 'utf8'),
      ),
    );
    const forked = await signCheckpoint({
      checkpoint: createCheckpoint({ origin: MUNICH_GATEWAY, size, root: rewrittenRoot, now: new Date() }),
      privateKey: privateKeyObject(signingKeyPem!),
      certificateChain: [signingPem!, issuingPem!].map((pem) =>
        Buffer.from(certificateDer(parseCertificatePem(pem))).toString('base64'),
      ),
    });
    const submit = (transport: RegistryFetch) =>
      transport.fetch(`${witnessUrl}/checkpoints`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ checkpoint: forked, consistencyProof: [], fromSize: size }),
        signal: AbortSignal.timeout(5_000),
      });
    // Only the gateway itself may submit: over TLS without a certificate, or with another
    // gateway's, the signed checkpoint is refused before it is judged (and kept as no fork).
    const vehicles = federation.manifest.members.find((m) => m.id === 'DEMO/GOV/vehicle-authority')!;
    for (const tls of [undefined, vehicles.gateway!.tls]) {
      const transport = await registryFetchWith(tls);
      try {
        const refused = await submit(transport);
        expect(refused.status).toBe(403);
        expect(JSON.parse(await refused.text()).type).toBe('Witness.NotOriginGateway');
      } finally {
        await transport.close();
      }
    }
    // The operator of Munich's gateway holds its TLS key as well as the member's signing key.
    const operator = await registryFetchWith(munich.gateway!.tls);
    const response = await submit(operator).finally(() => operator.close());
    expect(response.status).toBe(409);
    expect(JSON.parse(await response.text()).type).toBe('Witness.Fork');

    // Auditors see both contradictions, each with the member's signed checkpoint as evidence.
    const forks = await registry.fetch(`${witnessUrl}/forks/${encodeURIComponent(MUNICH_GATEWAY)}`, {
      headers: {},
      signal: AbortSignal.timeout(5_000),
    });
    const { forks: kept } = JSON.parse(await forks.text()) as { forks: Record<string, any>[] };
    expect(kept.map((fork) => [fork.code, fork.size, fork.witnessed.size])).toEqual([
      ['Witness.InconsistentCheckpoint', size + 1, size],
      ['Witness.Fork', size, size],
    ]);
    expect(kept[0]!.checkpoint).toBe(newest.jws);
    expect(kept[1]!.checkpoint).toBe(forked);
  });
});
