import { KeyObject, randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendLeaves, leafHash } from '../../audit/index.ts';
import {
  type ChainVerifier,
  certificateDer,
  certificateFingerprint,
  createChainVerifier,
} from '../../certs/index.ts';
import { type Database, migrateToLatest } from '../../core/database/index.ts';
import { EinmalError, errorResponse, silentLogger } from '../../core/index.ts';
import {
  checkpointCertificates,
  cosignCheckpoint,
  type RegistryRequest,
  verifyCheckpoint,
  verifyCosignature,
} from '../../protocol/index.ts';
import {
  addGateway,
  addMember,
  createWitnessRoutes,
  type RegistryDb,
  registryMigrations,
} from '../../registry/index.ts';
import { createTestDatabase } from '../../tests/support/database.ts';
import { createTestPki } from '../../tests/support/directory-fixture.ts';
import { gatewayMigrations } from '../db/migrations.ts';
import type { GatewayDb } from '../db/tables.ts';
import { createCheckpointer } from './checkpointer.ts';

const MUNICH = 'DEMO/GOV/munich';
const GATEWAY = `${MUNICH}/gw1`;
const WITNESS = 'https://registry.test/witness';

let database: Database;
let db: Kysely<GatewayDb>;
let witnessApp: Hono;
let signer: { member: string; privateKey: KeyObject; x5c: string[] };
let impostorApp: Hono;
let certificates: ChainVerifier;
let witnessDown = false;
/** Submissions reach the witness, but its answers are lost on the way back (a timeout). */
let answersLost = false;

/** The witness app, reached in-process; `witnessDown` makes it unreachable. */
const fetchWitness: RegistryRequest = async (url, init) => {
  if (witnessDown) throw new TypeError('fetch failed: connect ECONNREFUSED');
  if (url.startsWith('https://impostor.test')) {
    return impostorApp.request(url.replace('https://impostor.test', ''), init);
  }
  const response = await witnessApp.request(url.replace('https://registry.test', ''), init);
  if (answersLost && init.method === 'POST')
    throw new DOMException('The operation timed out', 'TimeoutError');
  return response;
};

const records = (n: number, from: number) =>
  Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`record ${from + i}`)));

const stored = () =>
  db.selectFrom('checkpoint').selectAll().where('tree', '=', GATEWAY).orderBy('size').execute();

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateToLatest(database.db, registryMigrations);
  await migrateToLatest(database.db, { schema: 'gw_checkpointer', migrations: gatewayMigrations });
  db = database.db.withSchema('gw_checkpointer') as unknown as Kysely<GatewayDb>;
  const registry = database.db.withSchema(registryMigrations.schema) as Kysely<RegistryDb>;
  const pki = await createTestPki();
  const signing = await pki.issue({ profile: 'signing', subject: `CN=${MUNICH}`, member: MUNICH });
  const witness = await pki.issue({ profile: 'witness', subject: 'CN=DEMO registry witness' });
  const directory = await pki.issue({ profile: 'directory', subject: 'CN=DEMO directory signer' });
  certificates = createChainVerifier({
    anchors: [pki.root.certificate],
    intermediates: [pki.issuing.certificate],
  });
  const b64 = (der: Uint8Array) => Buffer.from(der).toString('base64');
  signer = {
    member: MUNICH,
    privateKey: KeyObject.from(signing.keys.privateKey),
    x5c: [b64(certificateDer(signing.certificate)), b64(certificateDer(pki.issuing.certificate))],
  };
  await addMember(registry, { id: MUNICH, name: 'Landeshauptstadt München' });
  // The checkpointer's requests reach the witness app without a socket: it is told which
  // certificate they came with, the gateway's own (tests/e2e/witness.db.test.ts has the TLS).
  const gatewayTls = await pki.issue({ profile: 'auth', subject: 'CN=localhost', host: ['localhost'] });
  const fingerprint = certificateFingerprint(gatewayTls.certificate);
  await addGateway(registry, {
    id: GATEWAY,
    address: 'https://localhost:4410',
    authCertificateFingerprints: [fingerprint],
    clients: [],
  });
  witnessApp = new Hono();
  witnessApp.route(
    '/witness',
    createWitnessRoutes({
      db: registry,
      anchor: pki.root.certificate,
      signer: { privateKey: witness.keys.privateKey, chain: [witness.certificate, pki.issuing.certificate] },
      clock: Date.now,
      log: silentLogger,
      submitterOf: () => ({ fingerprint, serialNumber: gatewayTls.certificate.serialNumber.toLowerCase() }),
    }),
  );
  // A witness cosigning with the registry's directory-signing key: trusted by the federation for
  // directories, but not a witness.
  const directoryChain = [
    b64(certificateDer(directory.certificate)),
    b64(certificateDer(pki.issuing.certificate)),
  ];
  impostorApp = new Hono();
  // Serves the witness's latest checkpoint cosigned with the directory key (as a registry that
  // cosigned with it before it had a witness key would); submissions reach the real witness.
  impostorApp.get('/relabeled/checkpoints/:origin', async (c) => {
    const latest = await witnessApp.request(
      `/witness/checkpoints/${encodeURIComponent(c.req.param('origin'))}`,
    );
    const { checkpoint } = (await latest.json()) as { checkpoint: string };
    const claim = await verifyCheckpoint(checkpoint, { certificate: checkpointCertificates(checkpoint)[0]! });
    const cosignature = await cosignCheckpoint({
      checkpoint: claim,
      privateKey: directory.keys.privateKey,
      certificateChain: directoryChain,
    });
    return c.json({ checkpoint, cosignature });
  });
  impostorApp.post('/relabeled/checkpoints', (c) => witnessApp.request('/witness/checkpoints', c.req.raw));
  impostorApp.get('/witness/checkpoints/:origin', () => {
    const { status, headers, body } = errorResponse(new EinmalError('Witness.NotWitnessed'), randomUUID());
    return new Response(body, { status, headers });
  });
  impostorApp.post('/witness/checkpoints', async (c) => {
    const { checkpoint } = (await c.req.json()) as { checkpoint: string };
    const claim = await verifyCheckpoint(checkpoint, { certificate: checkpointCertificates(checkpoint)[0]! });
    const cosignature = await cosignCheckpoint({
      checkpoint: claim,
      privateKey: directory.keys.privateKey,
      certificateChain: directoryChain,
    });
    return c.json({ checkpoint, cosignature });
  });
});

afterAll(() => database?.close());

describe('checkpointer', () => {
  const checkpointer = (url = WITNESS) =>
    createCheckpointer({
      db,
      tree: GATEWAY,
      origin: GATEWAY,
      signer,
      witness: () => ({ url }),
      fetch: fetchWitness,
      witnessCertificates: certificates,
      clock: Date.now,
      log: silentLogger,
    });

  it('signs nothing for an empty log, then a cosigned checkpoint once it grows', async () => {
    const node = checkpointer();
    expect(await node.checkpointNow()).toEqual({});
    expect(await stored()).toEqual([]);

    await appendLeaves(db, GATEWAY, records(5, 0));
    const round = await node.checkpointNow();
    expect(round).toMatchObject({ signed: { origin: GATEWAY, size: 5 }, witnessedSize: 5 });
    const [row] = await stored();
    expect(row).toMatchObject({ size: 5, root: round.signed!.root });
    const certificate = checkpointCertificates(row!.cosignature)[0]!;
    expect((await verifyCosignature(row!.cosignature, { certificate }, round.signed)).size).toBe(5);

    // No growth, no new checkpoint.
    expect(await node.checkpointNow()).toEqual({ witnessedSize: 5 });
    expect(await stored()).toHaveLength(1);
  });

  it('keeps signing while the witness is down and catches up with one proof when it is back', async () => {
    const node = checkpointer();
    witnessDown = true;
    await appendLeaves(db, GATEWAY, records(3, 5));
    const down = await node.checkpointNow();
    expect(down).toMatchObject({ signed: { size: 8 }, error: { code: 'unreachable' } });
    await appendLeaves(db, GATEWAY, records(9, 8));
    expect(await node.checkpointNow()).toMatchObject({
      signed: { size: 17 },
      error: { code: 'unreachable' },
    });
    expect((await stored()).map((row) => [Number(row.size), row.cosignature !== null])).toEqual([
      [5, true],
      [8, false],
      [17, false],
    ]);

    witnessDown = false;
    // The newest checkpoint goes to the witness with a consistency proof from 5 to 17.
    expect(await node.checkpointNow()).toEqual({ witnessedSize: 17 });
    const served = await witnessApp.request(`/witness/checkpoints/${encodeURIComponent(GATEWAY)}`);
    const body = (await served.json()) as { checkpoint: string };
    expect(body.checkpoint).toBe((await stored()).at(-1)!.jws);
  });

  it('recovers a cosignature whose answer was lost, and proves the next checkpoint from it', async () => {
    const node = checkpointer();
    answersLost = true;
    await appendLeaves(db, GATEWAY, records(4, 17));
    expect(await node.checkpointNow()).toMatchObject({
      signed: { size: 21 },
      error: { code: 'unreachable' },
    });
    answersLost = false;
    // The witness holds 21; the node does not know. Its next checkpoint would be refused if proven
    // from 17, the size it last heard of.
    await appendLeaves(db, GATEWAY, records(2, 21));
    const restarted = checkpointer();
    expect(await restarted.checkpointNow()).toEqual({
      signed: expect.objectContaining({ size: 23 }),
      witnessedSize: 23,
    });
    const rows = await stored();
    expect(
      rows.filter((row) => row.size >= 17).map((row) => [Number(row.size), row.cosignature !== null]),
    ).toEqual([
      [17, true],
      [21, true],
      [23, true],
    ]);
    const cosignature21 = rows.find((row) => Number(row.size) === 21)!.cosignature!;
    expect(
      (await verifyCosignature(cosignature21, { certificate: checkpointCertificates(cosignature21)[0]! }))
        .size,
    ).toBe(21);
  });

  it('stores no cosignature made with any key but a witness certificate', async () => {
    await appendLeaves(db, GATEWAY, records(1, 23));
    const round = await checkpointer('https://impostor.test/witness').checkpointNow();
    expect(round).toMatchObject({ signed: { size: 24 }, error: { code: 'Pki.WrongUsage' } });
    expect((await stored()).at(-1)).toMatchObject({ size: 24, cosignature: null });
    // The real witness still cosigns it.
    expect(await checkpointer().checkpointNow()).toEqual({ witnessedSize: 24 });

    // A witness whose latest pair is cosigned with another key still tells the size it holds; the
    // node proves from there and keeps only the witness's own cosignature.
    await appendLeaves(db, GATEWAY, records(2, 24));
    const relabeled = checkpointer('https://impostor.test/relabeled');
    expect(await relabeled.checkpointNow()).toEqual({
      signed: expect.objectContaining({ size: 26 }),
      witnessedSize: 26,
    });
    for (const row of await stored()) {
      if (row.cosignature)
        certificates.verify(Buffer.from(checkpointCertificates(row.cosignature)[0]!, 'base64'), {
          usage: 'witness',
        });
    }
  });

  it('after a restore from an older backup, signs no checkpoint the witness would reject, until the log is whole again', async () => {
    const tables = ['merkle_node', 'tree_head', 'checkpoint'] as const;
    const backup = async () => {
      const rows = await Promise.all(tables.map((table) => db.selectFrom(table).selectAll().execute()));
      return Object.fromEntries(tables.map((table, i) => [table, rows[i]!]));
    };
    const restore = async (snapshot: Awaited<ReturnType<typeof backup>>) => {
      for (const table of tables) {
        await db.deleteFrom(table).execute();
        if (snapshot[table]!.length > 0)
          await db
            .insertInto(table)
            .values(snapshot[table] as never)
            .execute();
      }
    };
    const older = await backup();
    const olderSize = (await stored()).at(-1)!.size;
    await appendLeaves(db, GATEWAY, records(4, 200));
    expect(await checkpointer().checkpointNow()).toMatchObject({ witnessedSize: Number(olderSize) + 4 });
    const newest = await backup();

    // The database comes back from the older backup; the restarted node asks the witness first.
    await restore(older);
    const restarted = checkpointer();
    const refused = await restarted.checkpointNow();
    expect(refused).toEqual({ error: { code: 'Audit.LogBehindWitness', message: expect.any(String) } });
    expect(refused.error!.message).toContain(
      `this node's log has ${olderSize} records, but the witness cosigned ${Number(olderSize) + 4}`,
    );
    expect(refused.error!.message).toMatch(
      /restored from an older backup.*Restore the newest backup.*new GATEWAY_NODE_ID/,
    );
    expect(restarted.rollback()).toEqual({
      witnessedSize: Number(olderSize) + 4,
      treeSize: Number(olderSize),
      kind: 'behind',
    });
    expect((await stored()).at(-1)!.size).toBe(olderSize);

    // Exchanges go on and the log grows past the witnessed size with other records: still refused.
    await appendLeaves(db, GATEWAY, records(6, 300));
    expect((await restarted.checkpointNow()).error?.code).toBe('Audit.LogBehindWitness');
    expect(restarted.rollback()?.kind).toBe('diverged');
    expect((await stored()).at(-1)!.size).toBe(olderSize);

    // The operator restores the newest backup: checkpoints resume.
    await restore(newest);
    expect(await restarted.checkpointNow()).toEqual({ witnessedSize: Number(olderSize) + 4 });
    expect(restarted.rollback()).toBeUndefined();
  });

  it('signs without pushing when the directory names no witness', async () => {
    const node = createCheckpointer({
      db,
      tree: `${GATEWAY}#node2`,
      origin: `${GATEWAY}#node2`,
      signer,
      witness: () => null,
      fetch: fetchWitness,
      witnessCertificates: certificates,
      clock: Date.now,
      log: silentLogger,
    });
    await appendLeaves(db, `${GATEWAY}#node2`, records(2, 0));
    expect(await node.checkpointNow()).toMatchObject({ signed: { origin: `${GATEWAY}#node2`, size: 2 } });
    const rows = await db
      .selectFrom('checkpoint')
      .selectAll()
      .where('tree', '=', `${GATEWAY}#node2`)
      .execute();
    expect(rows).toMatchObject([{ size: 2, cosignature: null }]);
  });
});
