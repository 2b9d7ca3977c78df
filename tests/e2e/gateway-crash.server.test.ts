import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailure, verifyBundles } from '../../audit/bundle/bundle-verify.ts';
import { getTreeSize } from '../../audit/index.ts';
import type { GatewayLauncher } from '../../dev/federation-runtime.ts';
import { connectInformationSystem, type InformationSystem } from '../../dev/information-system.ts';
import type { GatewayConfig } from '../../gateway/index.ts';
import type { RequestClaims } from '../../schemas/index.ts';
import { type AddressAnswer, addressCaller, countBy, unrecordedExchanges } from '../support/address-calls.ts';
import { createServerDatabase } from '../support/database.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';
import { type ForgeKit, openForgeKit } from '../support/forge-request.ts';
import { type GatewayProcess, spawnGateway } from '../support/gateway-process.ts';

const execFileAsync = promisify(execFile);
const CLI = fileURLToPath(new URL('../../bin/einmal.js', import.meta.url));

const CONSUMER = 'DEMO/GOV/munich/gw1';
const PROVIDER = 'DEMO/GOV/residents-office/gw1';

/** Concurrent callers; how long they call before the kill and after the restart. */
const WORKERS = 6;
const LOAD_BEFORE_KILL_MS = 2_000;
const LOAD_AFTER_RESTART_MS = 1_500;
/** How long the victim's log commits are held back before it is killed. */
const STALL_MS = 500;
/** How long the gateways may take to serve again after the restart. */
const RECOVERY_MS = 15_000;

interface CrashRun {
  readonly answers: readonly AddressAnswer[];
  readonly killAt: number;
  readonly restartedAt: number;
}

/**
 * Fail closed (docs/protocol.md §8): `kill -9` of a gateway under load, each gateway in a process of
 * its own as an operator runs it (`einmal gateway serve`), on a PostgreSQL server (DATABASE_URL, or the local
 * one), in a fresh database dropped at the end. Every exchange acknowledged to the information
 * system has both its records after the restart, the logs verify offline, and a signed request
 * captured before the crash is refused as a replay before it reaches the adapter again.
 */
describe('kill -9 of a gateway under load', () => {
  let created: Awaited<ReturnType<typeof createServerDatabase>>;
  let federation: TestFederation;
  let permits: InformationSystem;
  let forge: ForgeKit;
  let token: string;
  let callAddress: () => Promise<AddressAnswer>;
  const processes = new Map<string, GatewayProcess>();
  const configs = new Map<string, GatewayConfig>();
  /** The gateway processes' log files. */
  let logDir: string;

  beforeAll(async () => {
    logDir = await mkdtemp(join(tmpdir(), 'einmal-crash-'));
    created = await createServerDatabase(
      process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    );
    // The two gateways of the story run in processes of their own; the others idle in this one.
    const launchGateway: GatewayLauncher = async (config, _log, inThisProcess) => {
      if (config.GATEWAY_ID !== CONSUMER && config.GATEWAY_ID !== PROVIDER) return inThisProcess();
      configs.set(config.GATEWAY_ID, config);
      const gateway = await spawnGateway({
        config,
        databaseUrl: created.url,
        logFile: join(logDir, `${config.GATEWAY_DB_SCHEMA}.log`),
      });
      processes.set(config.GATEWAY_ID, gateway);
      return gateway;
    };
    federation = await startTestFederation({ databaseUrl: created.url, launchGateway });
    permits = await connectInformationSystem(federation.endpoints, 'DEMO/GOV/munich/parking-permits');
    forge = await openForgeKit(federation);
    token = await federation.citizenToken('population.address');
    callAddress = addressCaller(permits, token);
  }, 120_000);
  afterAll(async () => {
    await permits?.close();
    await forge?.close();
    await federation?.close();
    await created?.drop();
    if (logDir) await rm(logDir, { recursive: true, force: true });
  }, 60_000);

  /**
   * Runs `during` while `gateway`'s log writes wait on a lock, so the kill lands while commits are
   * in flight (a slow disk at the wrong moment). PostgreSQL would still run a dead client's waiting
   * statement once the lock is free, so the sessions left waiting are ended first: those commits
   * never complete, and an exchange answered before its record committed would show up as
   * acknowledged but unrecorded.
   */
  const withCommitsStalled = <T>(gateway: string, during: () => Promise<T>): Promise<T> =>
    federation.database.db.transaction().execute(async (trx) => {
      const heads = `${configs.get(gateway)!.GATEWAY_DB_SCHEMA}.tree_head`;
      await sql`lock table ${sql.table(heads)} in access exclusive mode`.execute(trx);
      const result = await during();
      // Only the killed gateway writes its own tree, so only its sessions wait for this lock.
      const waiting = await sql<{ pid: number }>`select distinct pid from pg_locks
        where relation = to_regclass(${heads}) and not granted`.execute(trx);
      for (const { pid } of waiting.rows) await sql`select pg_terminate_backend(${pid})`.execute(trx);
      // Commits were in flight at the kill: the window this scenario is about was open.
      expect(waiting.rows.length, 'sessions of the killed gateway waiting to commit').toBeGreaterThan(0);
      return result;
    });

  /** Load, `kill -9` of `victim`, a restart with the same configuration, load until it serves again. */
  const crashUnderLoad = async (victim: string): Promise<CrashRun> => {
    const answers: AddressAnswer[] = [];
    let restartedAt = Number.POSITIVE_INFINITY;
    let servedAfterRestart = false;
    const worker = async () => {
      for (;;) {
        const sinceRestart = performance.now() - restartedAt;
        if ((servedAfterRestart && sinceRestart >= LOAD_AFTER_RESTART_MS) || sinceRestart > RECOVERY_MS)
          return;
        const answer = await callAddress();
        answers.push(answer);
        if (answer.status === 200 && answer.sentAt > restartedAt) servedAfterRestart = true;
        // No busy loop against a dead gateway: the machine is shared with the gateways themselves.
        if (answer.status !== 200) await sleep(50);
      }
    };
    const crash = async () => {
      await sleep(LOAD_BEFORE_KILL_MS);
      const killAt = await withCommitsStalled(victim, async () => {
        await sleep(STALL_MS);
        const at = performance.now();
        await processes.get(victim)!.kill();
        return at;
      });
      await federation.restartGateway(victim);
      restartedAt = performance.now();
      return killAt;
    };
    const [killAt] = await Promise.all([crash(), ...Array.from({ length: WORKERS }, worker)]);
    const summary = {
      answers: answers.length,
      byStatus: countBy(answers, (a) => `${a.status} ${a.errorType ?? ''}`.trim()),
      restartMs: Math.round(restartedAt - killAt),
    };
    console.info(`kill -9 ${victim}`, summary);
    return { answers, killAt, restartedAt };
  };

  const expectAcknowledgedExchangesRecorded = async (crash: CrashRun) => {
    const acknowledged = crash.answers.filter((a) => a.status >= 200 && a.status < 300);
    expect(
      acknowledged.filter((a) => a.answeredAt < crash.killAt).length,
      'acknowledged before the kill',
    ).toBeGreaterThan(0);
    expect(
      acknowledged.filter((a) => a.sentAt > crash.restartedAt).length,
      'served after the restart',
    ).toBeGreaterThan(0);
    for (const answer of acknowledged) expect(answer.city).toBe('München');
    const unrecorded = await unrecordedExchanges(
      acknowledged.map((a) => a.messageId),
      federation.gatewayDb(CONSUMER),
      federation.gatewayDb(PROVIDER),
    );
    expect(unrecorded, 'acknowledged to the information system but not recorded on both sides').toEqual([]);
    return acknowledged;
  };

  /** Waits until each log's newest cosigned checkpoint covers all of it, exports both and verifies them. */
  const expectLogsVerify = async (label: string) => {
    const bundles = await Promise.all(
      [CONSUMER, PROVIDER].map(async (gateway) => {
        const db = federation.gatewayDb(gateway);
        const deadline = Date.now() + 20_000;
        for (;;) {
          const [size, witnessed] = await Promise.all([
            getTreeSize(db, gateway),
            db
              .selectFrom('checkpoint')
              .select((eb) => eb.fn.max('size').as('size'))
              .where('tree', '=', gateway)
              .where('cosignature', 'is not', null)
              .executeTakeFirst(),
          ]);
          if (Number(witnessed?.size ?? -1) === size) break;
          if (Date.now() > deadline) throw new Error(`${gateway}: no witnessed checkpoint of size ${size}`);
          await sleep(200);
        }
        const out = join(federation.dir, `bundle-${label}-${configs.get(gateway)!.GATEWAY_DB_SCHEMA}`);
        await execFileAsync(
          process.execPath,
          [
            CLI,
            ...['audit', 'export', '--database-url', created.url],
            ...['--schema', configs.get(gateway)!.GATEWAY_DB_SCHEMA, '--tree', gateway],
            ...['--out', out, '--ca', federation.endpoints.pki.caBundle],
          ],
          { timeout: 60_000 },
        );
        return out;
      }),
    );
    const report = await verifyBundles({
      bundles,
      anchorPem: await readFile(federation.endpoints.pki.rootCa, 'utf8'),
    });
    expect(report.failures.map(describeFailure)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.pairing?.unpaired).toEqual([]);
    expect(report.bundles.map((b) => b.unwitnessedFrom)).toEqual([null, null]);
    return report;
  };

  it('provider: keeps every acknowledged exchange, verifies, and refuses a captured request as a replay before the adapter', async () => {
    const crash = await crashUnderLoad(PROVIDER);
    const acknowledged = await expectAcknowledgedExchangesRecorded(crash);

    // A signed request the provider served just before it was killed, resent as it was signed, over
    // the TLS connection of the consumer gateway that sent it and with the citizen's token.
    const captured = acknowledged.filter((a) => a.answeredAt < crash.killAt).at(-1)!;
    const record = await federation
      .gatewayDb(PROVIDER)
      .selectFrom('audit_record')
      .select('canonical')
      .where('message_id', '=', captured.messageId)
      .executeTakeFirstOrThrow();
    const jws = JSON.parse(Buffer.from(record.canonical).toString('utf8')).requestSignature as string;
    const claims = JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')) as RequestClaims;
    expect(claims.id).toBe(captured.messageId);
    // Still fresh: only the replay memory can refuse it.
    expect(Date.now() / 1000 - claims.iat).toBeLessThan(configs.get(PROVIDER)!.GATEWAY_CLOCK_SKEW_SECONDS);
    const adapterAnswers = () =>
      federation
        .logLines()
        .filter(
          (line) =>
            line.component === 'adapter' && line.messageId === captured.messageId && line.msg === 'answered',
        );
    expect(adapterAnswers()).toHaveLength(1);

    const replay = await forge.send(PROVIDER, {
      as: await forge.gatewayTls(CONSUMER),
      claims,
      jws,
      query: '',
      headers: { 'einmal-eid-token': token },
    });
    expect(replay.status, replay.body).toBe(403);
    expect((replay.json as { type?: string }).type).toBe('Server.ServerProxy.Replay');
    expect(replay.body).not.toContain('München');
    // Refused before the adapter: it answered this message id once, before the crash, and not again.
    expect(adapterAnswers()).toHaveLength(1);

    const report = await expectLogsVerify('provider-crash');
    console.info(
      'verified after the provider crash',
      report.bundles.map((b) => [b.tree, b.records]),
      report.pairing?.paired,
    );
  }, 90_000);

  it('consumer: keeps every acknowledged exchange and the logs verify', async () => {
    const crash = await crashUnderLoad(CONSUMER);
    await expectAcknowledgedExchangesRecorded(crash);
    const report = await expectLogsVerify('consumer-crash');
    console.info(
      'verified after the consumer crash',
      report.bundles.map((b) => [b.tree, b.records]),
      report.pairing?.paired,
    );
  }, 90_000);
});
