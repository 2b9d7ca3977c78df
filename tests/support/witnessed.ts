import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { getTreeSize } from '../../audit/index.ts';
import type { GatewayDb } from '../../gateway/index.ts';

/**
 * Waits until the newest checkpoint of `tree` that the witness cosigned covers the whole tree (and
 * the tree is not empty); resolves to that checkpoint's row.
 *
 * @example
 * const checkpoint = await waitUntilWitnessed(federation.gatewayDb(MUNICH), MUNICH);
 */
export async function waitUntilWitnessed(db: Kysely<GatewayDb>, tree: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [size, newest] = await Promise.all([
      getTreeSize(db, tree),
      db
        .selectFrom('checkpoint')
        .selectAll()
        .where('tree', '=', tree)
        .where('cosignature', 'is not', null)
        .orderBy('size', 'desc')
        .limit(1)
        .executeTakeFirst(),
    ]);
    if (size > 0 && newest && Number(newest.size) === size) return newest;
    if (Date.now() > deadline) throw new Error(`${tree}: no witnessed checkpoint of size ${size}`);
    await sleep(200);
  }
}
