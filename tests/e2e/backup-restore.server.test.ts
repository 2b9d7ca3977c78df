import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTreeSize } from '../../audit/index.ts';
import type { GatewayLauncher } from '../../dev/federation-runtime.ts';
import { connectInformationSystem, type InformationSystem } from '../../dev/information-system.ts';
import { addressCaller } from '../support/address-calls.ts';
import { createServerDatabase } from '../support/database.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';
import { sampleValue } from '../support/metrics-text.ts';
import { waitUntilWitnessed } from '../support/witnessed.ts';

const execFileAsync = promisify(execFile);
const MUNICH = 'DEMO/GOV/munich/gw1';

/**
 * Backup and restore of a gateway's database (docs/operations/scaling-retention-keys.md), with
 * PostgreSQL's own tools: after a restore from an older backup the gateway sees, from the witness,
 * that its log went back; it signs no checkpoint the witness would reject, says what to do, and
 * reports itself not ready. Restoring the newest backup brings it back.
 */
describe('a gateway restored from an older backup', () => {
  let created: Awaited<ReturnType<typeof createServerDatabase>>;
  let federation: TestFederation;
  let permits: InformationSystem;
  let callAddress: ReturnType<typeof addressCaller>;
  let schema: string;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'einmal-backup-'));
    created = await createServerDatabase(
      process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    );
    const launchGateway: GatewayLauncher = (config, _log, inThisProcess) => {
      if (config.GATEWAY_ID === MUNICH) schema = config.GATEWAY_DB_SCHEMA;
      return inThisProcess();
    };
    federation = await startTestFederation({ databaseUrl: created.url, launchGateway });
    permits = await connectInformationSystem(federation.endpoints, 'DEMO/GOV/munich/parking-permits');
    callAddress = addressCaller(permits, await federation.citizenToken('population.address'));
  }, 120_000);
  afterAll(async () => {
    await permits?.close();
    await federation?.close();
    await created?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  }, 60_000);

  const db = () => federation.gatewayDb(MUNICH);
  const exchanges = async (count: number) => {
    for (let i = 0; i < count; i++) expect((await callAddress()).status).toBe(200);
  };
  /** Waits until the witness has cosigned Munich's whole log; resolves to its size. */
  const witnessed = async () => Number((await waitUntilWitnessed(db(), MUNICH)).size);
  const backup = async (name: string) => {
    const file = join(work, `${name}.dump`);
    await execFileAsync('pg_dump', ['--format=custom', `--schema=${schema}`, `--file=${file}`, created.url]);
    return file;
  };
  const restore = async (file: string) => {
    // As docs/operations/scaling-retention-keys.md says: the gateway stopped, its schema dropped,
    // the dump restored into it (`--clean` trips over the partitions' inherited keys).
    await federation.stopGateway(MUNICH);
    await execFileAsync('psql', [
      created.url,
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `drop schema "${schema}" cascade`,
    ]);
    await execFileAsync('pg_restore', ['--exit-on-error', `--dbname=${created.url}`, file]);
    await federation.startGateway(MUNICH);
  };
  const ops = () => federation.endpoints.ops.gateways[MUNICH]!;
  const readiness = async () => {
    const response = await fetch(`${ops()}/readyz`);
    return { status: response.status, body: (await response.json()) as { failing: string[] } };
  };

  it('refuses to sign a checkpoint the witness would reject, says what to do, and is not ready', async () => {
    await exchanges(2);
    const olderSize = await witnessed();
    const older = await backup('older');
    await exchanges(3);
    const newestSize = await witnessed();
    expect(newestSize).toBe(olderSize + 3);
    const newest = await backup('newest');

    await restore(older);
    expect(await getTreeSize(db(), MUNICH)).toBe(olderSize);
    let ready = await readiness();
    for (let i = 0; i < 50 && ready.status === 200; i++) {
      await sleep(200);
      ready = await readiness();
    }
    expect(ready).toEqual({ status: 503, body: { status: 'not ready', failing: ['log'] } });
    const metrics = await (await fetch(`${ops()}/metrics`)).text();
    expect(sampleValue(metrics, 'einmal_audit_log_behind_witness')).toBe(1);
    const refusal = federation
      .logLines()
      .find((line) => line.gateway === MUNICH && line.code === 'Audit.LogBehindWitness');
    expect(refusal).toMatchObject({ witnessedSize: newestSize, treeSize: olderSize, kind: 'behind' });
    expect(refusal!.msg).toMatch(
      /Refusing to sign a checkpoint: this node's log has \d+ records, but the witness cosigned \d+\. The database was most likely restored from an older backup\. Restore the newest backup/,
    );

    // Exchanges still log (fail closed holds: every answer has its record), but no checkpoint is
    // signed over the rolled-back log, even once it grows past the witnessed size.
    await exchanges(4);
    await sleep(2_500);
    const newestCheckpoint = await db()
      .selectFrom('checkpoint')
      .select((eb) => eb.fn.max('size').as('size'))
      .where('tree', '=', MUNICH)
      .executeTakeFirst();
    expect(Number(newestCheckpoint?.size)).toBe(olderSize);

    // What the message says to do: restore the newest backup. Checkpoints and readiness come back.
    await restore(newest);
    for (let i = 0; i < 50 && ready.status !== 200; i++) {
      await sleep(200);
      ready = await readiness();
    }
    expect(ready).toEqual({ status: 200, body: { status: 'ready', failing: [] } });
    await exchanges(1);
    expect(await witnessed()).toBe(newestSize + 1);
  }, 120_000);
});
