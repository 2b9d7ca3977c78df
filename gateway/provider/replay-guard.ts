/**
 * Remembers message ids seen within the allowed clock skew, so a replayed request is refused before
 * it reaches the adapter. Ids older than the window need no memory: their `iat` is stale anyway.
 * Across restarts and across nodes of one gateway, the database's served-once index on provider
 * audit records is the backstop; at start the guard is primed from recent records (`prime`).
 */
export function createReplayGuard(options: { windowMs: number; clock: () => number }) {
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
    /** Records `id`; returns false if it was already seen (a replay). */
    claim(id: string): boolean {
      rotate();
      if (current.has(id) || previous.has(id)) return false;
      current.add(id);
      return true;
    },
    /** Forgets `id` again, when the request failed before anything was served. */
    release(id: string): void {
      current.delete(id);
      previous.delete(id);
    },
    prime(ids: Iterable<string>): void {
      for (const id of ids) current.add(id);
    },
  };
}

export type ReplayGuard = ReturnType<typeof createReplayGuard>;
