import { KeyObject } from 'node:crypto';
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendLeaves, checkpointCertificates, leafHash, verifyCosignature } from '../../audit/index.ts';
import { certificateDer } from '../../certs/index.ts';
import { type Database, migrateToLatest, silentLogger } from '../../core/index.ts';
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
import type { RegistryRequest } from '../directory/index.ts';
import { createCheckpointer } from './checkpointer.ts';

const MUNICH = 'DEMO/GOV/munich';
const GATEWAY = `${MUNICH}/gw1`;
const WITNESS = 'https://registry.test/witness';

let database: Database;
let db: Kysely<GatewayDb>;
let witnessApp: Hono;
let signer: { member: string; privateKey: KeyObject; x5c: string[] };
let witnessDown = false;

/** The witness app, reached in-process; `witnessDown` makes it unreachable. */
const fetchWitness: RegistryRequest = async (url, init) => {
  if (witnessDown) throw new TypeError('fetch failed: connect ECONNREFUSED');
  return witnessApp.request(url.replace('https://registry.test', ''), init);
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
  const directory = await pki.issue({ profile: 'directory', subject: 'CN=DEMO directory signer' });
  const b64 = (der: Uint8Array) => Buffer.from(der).toString('base64');
  signer = {
    member: MUNICH,
    privateKey: KeyObject.from(signing.keys.privateKey),
    x5c: [b64(certificateDer(signing.certificate)), b64(certificateDer(pki.issuing.certificate))],
  };
  await addMember(registry, { id: MUNICH, name: 'Landeshauptstadt München' });
  await addGateway(registry, {
    id: GATEWAY,
    address: 'https://localhost:4410',
    authCertificateFingerprints: [],
    clients: [],
  });
  witnessApp = new Hono();
  witnessApp.route(
    '/witness',
    createWitnessRoutes({
      db: registry,
      anchor: pki.root.certificate,
      signer: {
        privateKey: directory.keys.privateKey,
        chain: [directory.certificate, pki.issuing.certificate],
      },
      clock: () => new Date(),
      log: silentLogger,
    }),
  );
});

afterAll(() => database?.close());

describe('checkpointer', () => {
  const checkpointer = () =>
    createCheckpointer({
      db,
      tree: GATEWAY,
      origin: GATEWAY,
      signer,
      witness: () => ({ url: WITNESS }),
      fetch: fetchWitness,
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

  it('reports the witness refusal code and stores no cosignature for a rewritten log', async () => {
    const node = checkpointer();
    // Rewrite: drop the tree and append different leaves, more than before.
    await db.deleteFrom('merkle_node').where('tree', '=', GATEWAY).execute();
    await db.deleteFrom('tree_head').where('tree', '=', GATEWAY).execute();
    await appendLeaves(db, GATEWAY, records(20, 100));
    const round = await node.checkpointNow();
    expect(round).toMatchObject({ signed: { size: 20 }, error: { code: 'Witness.InconsistentCheckpoint' } });
    expect((await stored()).at(-1)).toMatchObject({ size: 20, cosignature: null });
  });

  it('signs without pushing when the directory names no witness', async () => {
    const node = createCheckpointer({
      db,
      tree: `${GATEWAY}#node2`,
      origin: `${GATEWAY}#node2`,
      signer,
      witness: () => null,
      fetch: fetchWitness,
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
