import { randomBytes } from 'node:crypto';

/** Who is logged in: a citizen (their own log) or an auditor (the logs they may audit). */
export type Role = 'citizen' | 'auditor';

/** A login started at the eID provider and not yet finished. */
export interface PendingLogin {
  readonly role: Role;
  readonly issuer: string;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly startedAt: number;
}

/** The person of a session, with the access token the portal uses on their behalf (never shown). */
export interface SessionUser {
  readonly role: Role;
  readonly subject: string;
  readonly issuer: string;
  /** Given and family name from the ID token, when the provider released them. */
  readonly name: string | null;
  readonly accessToken: string;
  /** When the access token expires, epoch milliseconds. */
  readonly expiresAt: number;
}

/** Server-side session state; the browser holds only the random id. */
export interface Session {
  readonly id: string;
  /** The token every form of this session must carry (CSRF protection). */
  readonly csrf: string;
  readonly createdAt: number;
  lastSeenAt: number;
  login?: PendingLogin | undefined;
  user?: SessionUser | undefined;
  /** Per-session data of the citizen and auditor areas (cached timeline, search, jobs). */
  readonly data: Map<string, unknown>;
}

/** What the cookie's id leads to. */
export type SessionLookup =
  | { readonly status: 'active'; readonly session: Session }
  | { readonly status: 'expired' }
  | { readonly status: 'unknown' };

export interface SessionStore {
  /** A new, empty session. */
  create(): Session;
  /** The session of an id, touched; `expired` once idle too long or its token ran out. */
  get(id: string): SessionLookup;
  /** The same session under a new id and CSRF token (after login: no session fixation). */
  rotate(session: Session): Session;
  destroy(id: string): void;
  /** Active sessions, for metrics and tests. */
  size(): number;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A random 256-bit token, base64url. */
export const randomToken = (): string => randomBytes(32).toString('base64url');

/**
 * Sessions in memory. A session ends after `idleMs` without a request, or when its user's access
 * token expires; an ended session is remembered as expired for a while so the login page can say
 * why. A session without a login lasts at most ten idle minutes. At most `maxSessions` are kept:
 * when full, the least recently used session without a login goes first, so a flood of anonymous
 * visits can neither exhaust memory nor push logged-in people out. One portal process holds its
 * sessions; several behind a load balancer need sticky sessions.
 *
 * @example
 * const sessions = createSessionStore({ clock: Date.now, idleMs: 30 * 60_000 });
 * const session = sessions.create();
 */
export function createSessionStore(options: {
  readonly clock: () => number;
  readonly idleMs: number;
  readonly maxSessions?: number;
}): SessionStore {
  const { clock, idleMs } = options;
  const maxSessions = options.maxSessions ?? 10_000;
  // Map order is the order of last use: re-inserting on each touch keeps the oldest first.
  const sessions = new Map<string, Session>();
  const ended = new Map<string, number>();

  // A session without a login only carries a login form's CSRF token and a login in progress.
  const anonymousIdleMs = Math.min(idleMs, 10 * 60_000);
  const isOver = (session: Session, now: number) =>
    session.user === undefined
      ? now - session.lastSeenAt > anonymousIdleMs
      : now - session.lastSeenAt > idleMs || now >= session.user.expiresAt;

  function remember(id: string, now: number): void {
    ended.set(id, now);
    if (ended.size > maxSessions) ended.delete(ended.keys().next().value!);
  }

  /** The session to drop when full: the least recently used one without a login, if one is near. */
  function evictable(): string {
    let scanned = 0;
    for (const [id, session] of sessions) {
      if (session.user === undefined || ++scanned >= 1000) return id;
    }
    return sessions.keys().next().value!;
  }

  function store(session: Session): Session {
    sessions.set(session.id, session);
    while (sessions.size > maxSessions) {
      const dropped = evictable();
      sessions.delete(dropped);
      remember(dropped, clock());
    }
    return session;
  }

  return {
    create() {
      const now = clock();
      return store({
        id: randomToken(),
        csrf: randomToken(),
        createdAt: now,
        lastSeenAt: now,
        data: new Map(),
      });
    },
    get(id) {
      if (!ID_PATTERN.test(id)) return { status: 'unknown' };
      const session = sessions.get(id);
      const now = clock();
      if (!session) {
        const at = ended.get(id);
        return at !== undefined && now - at < idleMs ? { status: 'expired' } : { status: 'unknown' };
      }
      sessions.delete(id);
      if (isOver(session, now)) {
        remember(id, now);
        return { status: 'expired' };
      }
      session.lastSeenAt = now;
      sessions.set(id, session);
      return { status: 'active', session };
    },
    rotate(session) {
      sessions.delete(session.id);
      const { id: _id, csrf: _csrf, ...rest } = session;
      return store({ ...rest, id: randomToken(), csrf: randomToken(), lastSeenAt: clock() });
    },
    destroy(id) {
      sessions.delete(id);
    },
    size: () => sessions.size,
  };
}
