import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInformationSystem, type InformationSystem } from '../../dev/information-system.ts';
import { type AddressAnswer, addressCaller, countBy, unrecordedExchanges } from '../support/address-calls.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';
import { type PrivatePostgres, startPrivatePostgres } from '../support/private-postgres.ts';

const CONSUMER = 'DEMO/GOV/munich/gw1';
const PROVIDER = 'DEMO/GOV/residents-office/gw1';
const AUDIT_UNAVAILABLE = ['Server.ClientProxy.AuditUnavailable', 'Server.ServerProxy.AuditUnavailable'];

/** The columns of a gateway's log that the batch check reads. */
interface AuditTables {
  tree_head: { tree: string; size: number };
  audit_record: { tree: string; idx: number };
  merkle_node: { tree: string; level: number; idx: number };
}

/** Concurrent callers, how long they call, and the outage's timing (ms from the start of the load). */
const WORKERS = 8;
const LOAD_MS = 6_000;
const CRASH_AT_MS = 1_500;
const DOWN_FOR_MS = 2_000;
/** The longest the gateways may take after PostgreSQL is back to serve data again (CI runs files in parallel). */
const RECOVERY_MS = 8_000;
/** A request still unanswered after this long counts as a wedged gateway. */
const REQUEST_TIMEOUT_MS = 15_000;

/**
 * DESIGN.md §5 (fail closed) and §15: PostgreSQL crashes under load and comes back. No caller gets
 * data without both audit records committed, the gateways answer 503 meanwhile, and they serve
 * again by themselves. Runs on a private PostgreSQL server, whatever DATABASE_URL says, because it
 * stops that server.
 */
describe('a PostgreSQL crash under load', () => {
  let postgres: PrivatePostgres;
  let federation: TestFederation;
  let permits: InformationSystem;
  let callAddress: () => Promise<AddressAnswer>;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    federation = await startTestFederation({ databaseUrl: postgres.url });
    permits = await connectInformationSystem(federation.endpoints, 'DEMO/GOV/munich/parking-permits');
    callAddress = addressCaller(
      permits,
      await federation.citizenToken('population.address'),
      REQUEST_TIMEOUT_MS,
    );
  }, 120_000);
  afterAll(async () => {
    await permits?.close();
    await federation?.close();
    await postgres?.destroy();
  }, 60_000);

  it('serves the address before the outage', async () => {
    for (let i = 0; i < 3; i++) {
      const answer = await callAddress();
      expect(answer.status, answer.body).toBe(200);
      expect(answer.city).toBe('München');
    }
  });

  it('answers 503 while PostgreSQL is down, never data without both records, and recovers alone', async () => {
    const answers: AddressAnswer[] = [];
    const start = performance.now();
    let restartedAt = Number.POSITIVE_INFINITY;
    let servedAfterRestart = false;
    const worker = async () => {
      // Steady load for LOAD_MS; past that, only until data flows again after the restart (bounded).
      for (;;) {
        const now = performance.now();
        const sinceRestart = now - restartedAt;
        if (
          now - start >= LOAD_MS &&
          ((servedAfterRestart && sinceRestart >= 1_000) || sinceRestart > RECOVERY_MS + 1_000)
        )
          break;
        const answer = await callAddress();
        answers.push(answer);
        if (answer.status === 200 && answer.sentAt > restartedAt) servedAfterRestart = true;
      }
    };
    const outage = async () => {
      await sleep(CRASH_AT_MS);
      const crashAt = performance.now();
      await postgres.stop({ mode: 'immediate' });
      const downAt = performance.now();
      await sleep(DOWN_FOR_MS);
      const upCalledAt = performance.now();
      await postgres.start();
      restartedAt = performance.now();
      return { crashAt, downAt, upCalledAt };
    };
    const [{ crashAt, downAt, upCalledAt }] = await Promise.all([
      outage(),
      ...Array.from({ length: WORKERS }, worker),
    ]);

    const ok = answers.filter((a) => a.status >= 200 && a.status < 300);
    const duringOutage = answers.filter((a) => a.sentAt >= downAt && a.answeredAt <= upCalledAt);
    const afterRestart = answers.filter((a) => a.sentAt >= restartedAt);
    const firstServedAfterRestart = afterRestart.find((a) => a.status === 200);
    const summary = {
      answers: answers.length,
      ok: ok.length,
      byStatus: countBy(answers, (a) => `${a.status} ${a.errorType ?? ''}`.trim()),
      duringOutage: duringOutage.length,
      crashToDownMs: Math.round(downAt - crashAt),
      restartMs: Math.round(restartedAt - upCalledAt),
      refusedAfterRecovery: firstServedAfterRestart
        ? afterRestart.filter((a) => a.sentAt > firstServedAfterRestart.answeredAt && a.status !== 200).length
        : null,
      recoveryMs: firstServedAfterRestart
        ? Math.round(firstServedAfterRestart.answeredAt - restartedAt)
        : null,
    };
    console.info('database outage', summary);

    // Every request got an answer: no gateway stayed wedged on a dead connection.
    expect(
      answers.filter((a) => a.status === 0),
      'requests without an answer',
    ).toEqual([]);
    // Only data or a clean refusal that the audit log is unavailable; never a 500 or a stack trace.
    for (const answer of answers) {
      expect(answer.body).not.toMatch(/\bat .+:\d+:\d+|Error: /);
      if (answer.status === 200) {
        expect(answer.city, answer.body).toBe('München');
      } else {
        expect({ status: answer.status, type: answer.errorType }).toEqual({
          status: 503,
          type: expect.toBeOneOf(AUDIT_UNAVAILABLE),
        });
      }
    }
    // While the database is down: refusals only, and there was load to refuse.
    expect(duringOutage.length).toBeGreaterThanOrEqual(WORKERS);
    expect(duringOutage.filter((a) => a.status !== 503)).toEqual([]);
    // Before the crash and after the restart, data flows; after the restart without any help.
    expect(answers.filter((a) => a.answeredAt < crashAt && a.status === 200).length).toBeGreaterThan(0);
    expect(firstServedAfterRestart, 'a 200 after PostgreSQL came back').toBeDefined();
    expect(firstServedAfterRestart!.answeredAt - restartedAt).toBeLessThan(RECOVERY_MS);
    // Once data flows again, it keeps flowing: no dead pooled connection is handed out later.
    expect(summary.refusedAfterRecovery).toBe(0);

    // Every answer that carried data has its consumer and its provider record, both ok.
    const unrecorded = await unrecordedExchanges(
      ok.map((a) => a.messageId),
      federation.gatewayDb(CONSUMER),
      federation.gatewayDb(PROVIDER),
    );
    expect(unrecorded, 'answered with data but not recorded on both sides').toEqual([]);

    // No half-written batch: each tree's size equals its records and its stored leaves.
    for (const gateway of [CONSUMER, PROVIDER]) {
      const db = federation.gatewayDb(gateway) as unknown as Kysely<AuditTables>;
      const trees = await db.selectFrom('tree_head').select(['tree', 'size']).execute();
      expect(trees.length).toBeGreaterThan(0);
      for (const { tree, size } of trees) {
        const records = await db
          .selectFrom('audit_record')
          .select((eb) => [
            eb.fn.countAll<number>().as('records'),
            eb.fn.count<number>('idx').distinct().as('distinctIndexes'),
            eb.fn.max<number | null>('idx').as('maxIndex'),
          ])
          .where('tree', '=', tree)
          .executeTakeFirstOrThrow();
        const leaves = await db
          .selectFrom('merkle_node')
          .select((eb) => eb.fn.countAll<number>().as('leaves'))
          .where('tree', '=', tree)
          .where('level', '=', 0)
          .executeTakeFirstOrThrow();
        expect({ gateway, tree, ...records, ...leaves }).toEqual({
          gateway,
          tree,
          records: size,
          distinctIndexes: size,
          maxIndex: size - 1,
          leaves: size,
        });
      }
    }
  }, 90_000);
});
