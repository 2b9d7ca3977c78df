import type { Kysely } from 'kysely';
import type { Clock } from '../../core/index.ts';
import type { GatewayDb } from '../db/tables.ts';

/**
 * Remembers message ids seen within the allowed clock skew, so a replayed request is refused before
 * it reaches the adapter. Ids older than the window need no memory: their `iat` is stale anyway.
 * A restart would forget them, so at start the guard is primed from the provider's recent records
 * (`primeReplayGuard`); the database's served-once index on provider records is only the backstop:
 * it fires when the record is written, after the adapter has answered.
 */
export function createReplayGuard(options: { windowMs: number; clock: Clock }) {
  let current = new Set<string>();
  let previous = new Set<string>();
  let rotatedAt = options.clock();

  function rotate(): void {
    const now = options.clock();
    // Two generations of one window each: an id stays known for at least one full window.
    if (now - rotatedAt >= options.windowMs) {
      previous = current;
      current = new Set();
      rotatedAt = now;
    }
  }

  return {
    /** How far back a request may still be fresh; what `primeReplayGuard` must load. */
    windowMs: options.windowMs,
    /** How many message ids the guard holds now (both generations). */
    size: () => current.size + previous.size,
    /** Records `id`; returns false if it was already seen (a replay). */
    claim(id: string): boolean {
      rotate();
      if (current.has(id) || previous.has(id)) return false;
      current.add(id);
      return true;
    },
    /** Marks ids as seen, e.g. those recorded before a restart; they are kept a full window. */
    prime(ids: Iterable<string>): void {
      rotate();
      for (const id of ids) current.add(id);
    },
  };
}

export type ReplayGuard = ReturnType<typeof createReplayGuard>;

/**
 * Primes `guard` with the message id of every provider record written within its window, on every
 * node of this gateway (they share the database), so a request captured before a crash or restart
 * is still refused as a replay before the adapter is called. A request is fresh while its `iat` is
 * within the skew of now, so one processed up to two skews ago (its `iat` a skew ahead) may still be
 * replayed; the window is those two skews. Records of requests whose claims were never verified
 * carry ids the gateway made up, which can match nothing. Returns how many ids were loaded.
 */
export async function primeReplayGuard(
  guard: ReplayGuard,
  db: Kysely<GatewayDb>,
  now: number,
): Promise<number> {
  const rows = await db
    .selectFrom('audit_record')
    .select('message_id')
    .distinct()
    .where('side', '=', 'provider')
    .where('log_time', '>=', new Date(now - guard.windowMs))
    .execute();
  guard.prime(rows.map((row) => row.message_id));
  return rows.length;
}
