import fc from 'fast-check';
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consistencyProof, leafHash, rootHash } from '../audit/index.ts';
import { certificateDer, certificateFingerprint, type PresentedCertificate } from '../certs/index.ts';
import { type Database, migrateToLatest } from '../core/database/index.ts';
import { silentLogger } from '../core/index.ts';
import {
  createCheckpoint,
  hashToBase64,
  signCheckpoint,
  verifyCheckpoint,
  verifyCosignature,
} from '../protocol/index.ts';
import { createTestDatabase } from '../tests/support/database.ts';
import { createTestPki, type IssuedCredential, type TestPki } from '../tests/support/directory-fixture.ts';
import { addGateway, addMember, addRevocation, type RegistryDb, registryMigrations } from './db/index.ts';
import { createWitnessRoutes } from './witness.ts';

const MUNICH = 'DEMO/GOV/munich';
const GATEWAY = `${MUNICH}/gw1`;
const VEHICLES = 'DEMO/GOV/vehicle-authority';

let database: Database;
let db: Kysely<RegistryDb>;
let pki: TestPki;
let munich: IssuedCredential;
let vehicles: IssuedCredential;
let witness: IssuedCredential;
/** The gateway's TLS authentication certificate, and another gateway's. */
let gatewayTls: IssuedCredential;
let otherTls: IssuedCredential;
/** The certificate the next submission comes with over TLS (the gateway's unless a test says). */
let submitter: PresentedCertificate | null;
let app: Hono;
let now = new Date();

const presentedOf = (credential: IssuedCredential): PresentedCertificate => ({
  fingerprint: certificateFingerprint(credential.certificate),
  serialNumber: credential.certificate.serialNumber.toLowerCase().replace(/^0+(?=.)/, ''),
});

const der = (credential: IssuedCredential) =>
  Buffer.from(certificateDer(credential.certificate)).toString('base64');
const chainOf = (credential: IssuedCredential, p: TestPki = pki) => [
  der(credential),
  Buffer.from(certificateDer(p.issuing.certificate)).toString('base64'),
];

/** Leaf hashes of a log of `n` records; `variant` changes every record's content. */
const leaves = (n: number, variant = '') =>
  Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`record ${i}${variant}`)));

async function signed(options: {
  origin?: string;
  log: Uint8Array[];
  signer?: IssuedCredential;
  chain?: string[];
  time?: Date;
}): Promise<string> {
  const signer = options.signer ?? munich;
  return signCheckpoint({
    checkpoint: createCheckpoint({
      origin: options.origin ?? GATEWAY,
      size: options.log.length,
      root: rootHash(options.log),
      now: options.time ?? now,
    }),
    privateKey: signer.keys.privateKey,
    certificateChain: options.chain ?? chainOf(signer),
  });
}

const submit = (body: unknown) =>
  app.request('/witness/checkpoints', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** Submits a checkpoint of `log` with the proof from `fromSize` (computed from `proofLog`). */
async function push(
  log: Uint8Array[],
  fromSize: number,
  options: {
    origin?: string;
    signer?: IssuedCredential;
    chain?: string[];
    proofLog?: Uint8Array[];
    time?: Date;
  } = {},
) {
  const checkpoint = await signed({ log, ...options });
  const proofLog = options.proofLog ?? log;
  const proof = fromSize === 0 ? [] : consistencyProof(proofLog, fromSize, proofLog.length);
  return submit({ checkpoint, consistencyProof: proof.map(hashToBase64), fromSize });
}

async function codeOf(response: Response): Promise<string> {
  return ((await response.json()) as { type: string }).type;
}

const forkCount = async () =>
  ((await (await app.request('/witness/forks')).json()) as { forks: unknown[] }).forks.length;

const latest = async (origin = GATEWAY) => {
  const response = await app.request(`/witness/checkpoints/${encodeURIComponent(origin)}`);
  return { status: response.status, body: (await response.json()) as Record<string, string> };
};

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateToLatest(database.db, registryMigrations);
  db = database.db.withSchema(registryMigrations.schema) as Kysely<RegistryDb>;
  pki = await createTestPki();
  munich = await pki.issue({ profile: 'signing', subject: `CN=${MUNICH}`, member: MUNICH });
  vehicles = await pki.issue({ profile: 'signing', subject: `CN=${VEHICLES}`, member: VEHICLES });
  witness = await pki.issue({ profile: 'witness', subject: 'CN=DEMO registry witness' });
  gatewayTls = await pki.issue({ profile: 'auth', subject: 'CN=localhost', host: ['localhost'] });
  otherTls = await pki.issue({ profile: 'auth', subject: 'CN=localhost', host: ['localhost'] });
  submitter = presentedOf(gatewayTls);
  await addMember(db, { id: MUNICH, name: 'Landeshauptstadt München' });
  await addMember(db, { id: VEHICLES, name: 'Vehicle registration authority' });
  await addGateway(db, {
    id: GATEWAY,
    address: 'https://localhost:4410',
    authCertificateFingerprints: [certificateFingerprint(gatewayTls.certificate)],
    clients: [],
  });
  await addMember(db, { id: 'DEMO/GOV/residents-office', name: 'Residents office' });
  await addGateway(db, {
    id: 'DEMO/GOV/residents-office/gw1',
    address: 'https://localhost:4411',
    authCertificateFingerprints: [certificateFingerprint(otherTls.certificate)],
    clients: [],
  });
  app = new Hono();
  app.route(
    '/witness',
    createWitnessRoutes({
      db,
      anchor: pki.root.certificate,
      signer: {
        privateKey: witness.keys.privateKey,
        chain: [witness.certificate, pki.issuing.certificate],
      },
      clock: () => now.getTime(),
      log: silentLogger,
      submitterOf: () => submitter,
    }),
  );
});

afterAll(() => database?.close());

describe('registry witness', () => {
  it('cosigns the first checkpoint of a node and serves it', async () => {
    expect((await latest()).status).toBe(404);
    const response = await push(leaves(5), 0);
    expect(response.status, await response.clone().text()).toBe(200);
    const body = (await response.json()) as { checkpoint: string; cosignature: string };
    const cosigned = await verifyCosignature(body.cosignature, { certificate: der(witness) });
    expect(cosigned).toMatchObject({ origin: GATEWAY, size: 5, root: hashToBase64(rootHash(leaves(5))) });
    expect(await latest()).toEqual({ status: 200, body });
  });

  it('cosigns a grown log with a valid consistency proof, and the same head again', async () => {
    now = new Date(now.getTime() + 2_000);
    const grown = await push(leaves(13), 5);
    expect(grown.status, await grown.clone().text()).toBe(200);
    // The same size and root again (a gateway that missed the answer) gets the pair already witnessed.
    const again = await push(leaves(13), 5);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(await grown.json());
    const served = await latest();
    expect(await verifyCosignature(served.body.cosignature, { certificate: der(witness) })).toMatchObject({
      size: 13,
    });
  });

  it('refuses a different root at the witnessed size as a fork', async () => {
    const response = await push(leaves(13, 'rewritten'), 0);
    expect(response.status).toBe(409);
    expect(await codeOf(response)).toBe('Witness.Fork');
  });

  it('refuses a smaller log as shrunk', async () => {
    const response = await push(leaves(12), 0);
    expect(await codeOf(response)).toBe('Witness.LogShrunk');
  });

  it('refuses an old checkpoint sent again as shrunk, and keeps it as a fork only if it contradicts', async () => {
    // Every checkpoint is public (the witness's history, the gateway's log endpoint): anyone can
    // send one again. The one cosigned at size 5, and one signed before the witnessed one but
    // never cosigned, say nothing against the log.
    const cosigned = await app.request(`/witness/checkpoints/${encodeURIComponent(GATEWAY)}/5`);
    const { checkpoint } = (await cosigned.json()) as { checkpoint: string };
    const again = await submit({ checkpoint, consistencyProof: [], fromSize: 0 });
    expect([again.status, await codeOf(again)]).toEqual([409, 'Witness.LogShrunk']);
    const earlier = new Date(now.getTime() - 1_000);
    const stale = await push(leaves(9), 0, { time: earlier });
    expect([stale.status, await codeOf(stale)]).toEqual([409, 'Witness.LogShrunk']);
    // Another root at a size the witness cosigned is a contradiction, however old it claims to be.
    const rewritten = await push(leaves(5, 'rewritten'), 0, { time: earlier });
    expect(await codeOf(rewritten)).toBe('Witness.LogShrunk');
    const { forks } = (await (await app.request(`/witness/forks/${encodeURIComponent(GATEWAY)}`)).json()) as {
      forks: { size: number; root: string }[];
    };
    expect(forks.map((f) => [f.size, f.root])).toEqual([
      [13, hashToBase64(rootHash(leaves(13, 'rewritten')))],
      [12, hashToBase64(rootHash(leaves(12)))],
      [5, hashToBase64(rootHash(leaves(5, 'rewritten')))],
    ]);
  });

  it('refuses a grown log whose history differs from the witnessed one', async () => {
    // A consistent-looking proof, but computed over rewritten history: it cannot reach the witnessed root.
    const rewritten = [...leaves(13, 'rewritten'), ...leaves(7, 'more')];
    const response = await push(rewritten, 13);
    expect(response.status).toBe(409);
    expect(await codeOf(response)).toBe('Witness.InconsistentCheckpoint');
  });

  it('refuses a grown log with a tampered proof, a proof from another size, or no proof', async () => {
    const log = [...leaves(13), ...leaves(4, 'next')];
    const checkpoint = await signed({ log });
    const proof = consistencyProof(log, 13, 17).map(hashToBase64);
    const tampered = [...proof];
    tampered[0] = hashToBase64(leafHash(new Uint8Array([1])));
    for (const body of [
      { checkpoint, consistencyProof: tampered, fromSize: 13 },
      { checkpoint, consistencyProof: consistencyProof(log, 5, 17).map(hashToBase64), fromSize: 5 },
      { checkpoint, consistencyProof: [], fromSize: 13 },
    ]) {
      const response = await submit(body);
      expect(await codeOf(response)).toBe('Witness.InconsistentCheckpoint');
    }
    expect(
      (await verifyCosignature((await latest()).body.cosignature, { certificate: der(witness) })).size,
    ).toBe(13);
    expect((await submit({ checkpoint, consistencyProof: proof, fromSize: 13 })).status).toBe(200);
  });

  it("refuses a checkpoint signed by another member than the gateway's", async () => {
    const response = await push(leaves(20), 0, { signer: vehicles });
    expect(response.status).toBe(403);
    expect(await codeOf(response)).toBe('Witness.ForeignSigner');
  });

  it('refuses a signer outside the federation and a non-signing certificate', async () => {
    const other = await createTestPki();
    const impostor = await other.issue({ profile: 'signing', subject: `CN=${MUNICH}`, member: MUNICH });
    const foreign = await push(leaves(20), 0, { signer: impostor, chain: chainOf(impostor, other) });
    expect(await codeOf(foreign)).toBe('Witness.UntrustedSigner');
    const wrongUsage = await push(leaves(20), 0, { signer: witness });
    expect(await codeOf(wrongUsage)).toBe('Witness.UntrustedSigner');
  });

  it('refuses an origin that is not a registered gateway', async () => {
    for (const origin of [`${MUNICH}/gw9`, 'not a gateway', `${GATEWAY}#bad node`]) {
      const response = await push(leaves(3), 0, { origin });
      expect(response.status).toBe(404);
      expect(await codeOf(response)).toBe('Witness.UnknownOrigin');
    }
  });

  it('keeps one witnessed head per node of a gateway', async () => {
    const node = `${GATEWAY}#node2`;
    expect((await push(leaves(2), 0, { origin: node })).status).toBe(200);
    expect(
      (await verifyCosignature((await latest(node)).body.cosignature, { certificate: der(witness) })).size,
    ).toBe(2);
    expect(
      (await verifyCosignature((await latest()).body.cosignature, { certificate: der(witness) })).size,
    ).toBe(17);
  });

  it("accepts checkpoints only from the origin gateway's TLS certificate, and keeps nothing else", async () => {
    const forksBefore = await forkCount();
    // A third party holds every signed checkpoint (they are public) but not the gateway's key.
    for (const [who, certificate] of [
      ['no certificate', null],
      ["another gateway's certificate", presentedOf(otherTls)],
      ["the member's signing certificate", presentedOf(munich)],
    ] as const) {
      submitter = certificate;
      const response = await push(leaves(20, 'bogus'), 17, { proofLog: leaves(20, 'bogus') });
      expect(response.status, who).toBe(403);
      expect(await codeOf(response), who).toBe('Witness.NotOriginGateway');
    }
    submitter = presentedOf(gatewayTls);
    expect(await forkCount()).toBe(forksBefore);
  });

  it('refuses a checkpoint dated before the witnessed one, and keeps no fork for it', async () => {
    const forksBefore = await forkCount();
    const log = [...leaves(13), ...leaves(5, 'next')];
    const before = new Date(now.getTime() - 60_000);
    const response = await push(log, 17, { time: before });
    expect(response.status).toBe(409);
    expect(await codeOf(response)).toBe('Witness.TimeWentBack');
    expect(await forkCount()).toBe(forksBefore);
    expect(
      (await verifyCosignature((await latest()).body.cosignature, { certificate: der(witness) })).size,
    ).toBe(17);
  });

  it('lists every log of a gateway the witness holds, its nodes included', async () => {
    const response = await app.request(`/witness/origins?gateway=${encodeURIComponent(GATEWAY)}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { gateway: string; origins: { origin: string; size: number }[] };
    expect(body.gateway).toBe(GATEWAY);
    expect(body.origins.map((o) => [o.origin, o.size])).toEqual([
      [GATEWAY, 17],
      [`${GATEWAY}#node2`, 2],
    ]);
    for (const query of ['', '?gateway=', '?gateway=DEMO%2FGOV', '?gateway=x&y=1']) {
      expect((await app.request(`/witness/origins${query}`)).status, query).toBe(400);
    }
    const none = await app.request('/witness/origins?gateway=DEMO%2FGOV%2Fmunich%2Fgw9');
    expect(((await none.json()) as { origins: unknown[] }).origins).toEqual([]);
  });

  it('refuses a bad JWS, a tampered signature and malformed bodies with their codes', async () => {
    const good = await signed({ log: leaves(17) });
    const [header, payload, signature] = good.split('.');
    const flipped = `${header}.${payload}.${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`;
    const future = await signed({ log: leaves(17), time: new Date(now.getTime() + 3_600_000) });
    for (const checkpoint of ['not.a.jws', 'garbage', flipped, future]) {
      const response = await submit({ checkpoint, consistencyProof: [], fromSize: 17 });
      expect(response.status, checkpoint).toBe(400);
      expect(await codeOf(response)).toBe('Witness.InvalidCheckpoint');
    }
    for (const body of [
      '{',
      '[]',
      { checkpoint: good },
      { checkpoint: good, consistencyProof: ['x'], fromSize: 1 },
    ]) {
      const response = await submit(body);
      expect(response.status).toBe(400);
      expect(await codeOf(response)).toBe('Client.InvalidBody');
    }
    expect(await codeOf(await app.request('/witness/checkpoints/nobody'))).toBe('Witness.NotWitnessed');
  });

  it('keeps every cosigned checkpoint: the latest, each size, and the history in pages', async () => {
    const history = async (query = '') => {
      const response = await app.request(
        `/witness/checkpoints/${encodeURIComponent(GATEWAY)}/history${query}`,
      );
      return { status: response.status, body: (await response.json()) as any };
    };
    const all = await history();
    expect(all.status).toBe(200);
    expect(all.body.checkpoints.map((c: { size: number }) => c.size)).toEqual([5, 13, 17]);
    expect(all.body.next).toBeNull();
    for (const entry of all.body.checkpoints) {
      const cosigned = await verifyCosignature(entry.cosignature, { certificate: der(witness) });
      expect(cosigned.size).toBe(entry.size);
    }
    expect((await latest()).body.checkpoint).toBe(all.body.checkpoints[2].checkpoint);

    const first = await history('?limit=2');
    expect(first.body.checkpoints.map((c: { size: number }) => c.size)).toEqual([5, 13]);
    expect(first.body.next).toBe(13);
    const second = await history(`?after=${first.body.next}&limit=2`);
    expect(second.body.checkpoints.map((c: { size: number }) => c.size)).toEqual([17]);
    expect(second.body.next).toBeNull();

    const at13 = await app.request(`/witness/checkpoints/${encodeURIComponent(GATEWAY)}/13`);
    expect(at13.status).toBe(200);
    expect(await at13.json()).toEqual({
      checkpoint: all.body.checkpoints[1].checkpoint,
      cosignature: all.body.checkpoints[1].cosignature,
    });
    const at14 = await app.request(`/witness/checkpoints/${encodeURIComponent(GATEWAY)}/14`);
    expect([at14.status, await codeOf(at14)]).toEqual([404, 'Witness.NotWitnessed']);

    for (const bad of ['?limit=0', '?limit=1001', '?after=-1', '?after=1.5', '?page=2']) {
      const response = await history(bad);
      expect(response.status, bad).toBe(400);
      expect(response.body.type).toBe('Client.BadRequest');
    }
    const badSize = await app.request(`/witness/checkpoints/${encodeURIComponent(GATEWAY)}/x1`);
    expect([badSize.status, await codeOf(badSize)]).toEqual([400, 'Client.BadRequest']);
  });

  it('serves the refused contradictions as forks, each once, with the signed checkpoint', async () => {
    const response = await app.request(`/witness/forks/${encodeURIComponent(GATEWAY)}`);
    expect(response.status).toBe(200);
    const { forks, next } = (await response.json()) as { forks: any[]; next: number | null };
    expect(next).toBeNull();
    expect(forks.map((f) => [f.code, f.size, f.fromSize, f.witnessed.size])).toEqual([
      ['Witness.Fork', 13, 0, 13],
      ['Witness.LogShrunk', 12, 0, 13],
      ['Witness.LogShrunk', 5, 0, 13],
      ['Witness.InconsistentCheckpoint', 20, 13, 13],
      // The tampered and the missing proof of one checkpoint are one entry; the proof from another
      // size (5) shows a stale gateway, not a contradiction, and is not kept.
      ['Witness.InconsistentCheckpoint', 17, 13, 13],
    ]);
    const [fork] = forks;
    expect(fork.root).toBe(hashToBase64(rootHash(leaves(13, 'rewritten'))));
    expect(fork.witnessed.root).toBe(hashToBase64(rootHash(leaves(13))));
    // The evidence is the member's own signature over the contradicting checkpoint.
    const signedFork = await verifyCheckpoint(fork.checkpoint, { certificate: der(munich) });
    expect(signedFork).toMatchObject({ origin: GATEWAY, size: 13, root: fork.root });
    // Refusals before the signature and owner are established are not forks.
    const everything = (await (await app.request('/witness/forks')).json()) as { forks: any[] };
    expect(everything.forks).toHaveLength(5);
    const paged = (await (await app.request('/witness/forks?limit=3')).json()) as {
      forks: any[];
      next: number;
    };
    expect(paged.forks).toHaveLength(3);
    const rest = (await (await app.request(`/witness/forks?after=${paged.next}`)).json()) as {
      forks: any[];
    };
    expect(rest.forks.map((f) => f.size)).toEqual([20, 17]);
    const other = (await (
      await app.request(`/witness/forks/${encodeURIComponent(`${GATEWAY}#node2`)}`)
    ).json()) as {
      forks: any[];
    };
    expect(other.forks).toEqual([]);
  });

  it("refuses the gateway's revoked authentication certificate", async () => {
    await addRevocation(db, {
      issuer: pki.issuing.certificate.subject,
      serialNumber: gatewayTls.certificate.serialNumber,
      revokedAt: now,
    });
    const response = await push(leaves(25), 17);
    expect(response.status).toBe(403);
    expect(await codeOf(response)).toBe('Witness.NotOriginGateway');
  });
});

describe('witness reads', () => {
  it('answer any path and query with 200 or a 4xx, never a 5xx', async () => {
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(GATEWAY, `${GATEWAY}#node2`, `${GATEWAY}\u0000`, '%00', '%', '..'),
    );
    await fc.assert(
      fc.asyncProperty(
        text,
        fc.constantFrom('', '/history', '/13', '/x'),
        fc.constantFrom('/witness/checkpoints/', '/witness/forks/'),
        fc.dictionary(fc.constantFrom('after', 'limit', 'x'), fc.oneof(text, fc.nat().map(String))),
        async (origin, suffix, prefix, query) => {
          const path = `${prefix}${encodeURIComponent(origin)}${prefix.includes('forks') ? '' : suffix}`;
          const response = await app.request(`${path}?${new URLSearchParams(query)}`);
          expect(response.status, path).toBeLessThan(500);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('witness migration', () => {
  it('keeps the checkpoints witnessed before the history existed', async () => {
    const old = await createTestDatabase();
    try {
      // The registry as it was deployed before the history: every migration that sorts before it.
      const before = Object.fromEntries(
        Object.entries(registryMigrations.migrations).filter(([name]) => name < '0300_witness_history'),
      );
      await migrateToLatest(old.db, { ...registryMigrations, migrations: before });
      const scoped = old.db.withSchema(registryMigrations.schema) as Kysely<any>;
      const row = {
        origin: GATEWAY,
        gateway_id: GATEWAY,
        size: 7,
        root: hashToBase64(rootHash(leaves(7))),
        time: new Date('2025-01-01T00:00:00Z'),
        checkpoint: 'a.b.c',
        cosignature: 'd.e.f',
        witnessed_at: new Date('2025-01-01T00:00:01Z'),
      };
      await scoped.insertInto('witnessed_checkpoint').values(row).execute();
      await migrateToLatest(old.db, registryMigrations);
      const kept = await scoped.selectFrom('witness_checkpoint').selectAll().execute();
      expect(kept).toMatchObject([{ origin: GATEWAY, size: expect.anything(), checkpoint: 'a.b.c' }]);
      expect(Number(kept[0]!.size)).toBe(7);
      expect(await scoped.selectFrom('witnessed_checkpoint').selectAll().execute()).toHaveLength(1);
    } finally {
      await old.close();
    }
  });
});
