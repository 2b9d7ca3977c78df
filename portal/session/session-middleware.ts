import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { EinmalError } from '../../core/index.ts';
import type { PortalEnv } from '../http/portal-env.ts';
import type { Role, Session, SessionStore } from './session-store.ts';

/**
 * The session cookie: `__Host-` so it is bound to the portal's host, sent over HTTPS only (and
 * loopback in development), invisible to scripts, and `SameSite=Lax` so that the eID provider's
 * redirect back to the portal (a top-level navigation from another site) still carries it.
 */
export const SESSION_COOKIE = '__Host-einmal-session';

const cookieOptions = { path: '/', httpOnly: true, secure: true, sameSite: 'Lax' } as const;

/** Finds the request's session by its cookie; an ended or unknown one is noted and its cookie cleared. */
export function sessionMiddleware(store: SessionStore): MiddlewareHandler<PortalEnv> {
  return async function loadSession(c, next) {
    const id = getCookie(c, SESSION_COOKIE);
    if (id !== undefined) {
      const found = store.get(id);
      if (found.status === 'active') c.set('session', found.session);
      else {
        c.set('sessionProblem', found.status);
        deleteCookie(c, SESSION_COOKIE, cookieOptions);
      }
    }
    await next();
  };
}

/** Sends the cookie of `session` with the response. */
export function setSessionCookie(c: Context, session: Session): void {
  setCookie(c, SESSION_COOKIE, session.id, cookieOptions);
}

/** Removes the session cookie from the browser. */
export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, cookieOptions);
}

/** The request's session, or a new anonymous one (with its cookie set), e.g. to carry a form's CSRF token. */
export function ensureSession(c: Context<PortalEnv>, store: SessionStore): Session {
  const current = c.get('session');
  if (current) return current;
  const session = store.create();
  c.set('session', session);
  setSessionCookie(c, session);
  return session;
}

const sameToken = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/**
 * Reads a POSTed form of this portal: the request comes from the portal's own origin (when the
 * browser says where from) and carries the session's CSRF token. Only text fields are kept (the
 * app bounds the body's size). Anything else is `Portal.InvalidForm`, as is a form without a session.
 *
 * @example
 * const { session, form } = await readPortalForm(c, publicOrigin);
 */
export async function readPortalForm(
  c: Context<PortalEnv>,
  publicOrigin: string,
): Promise<{ session: Session; form: Record<string, string> }> {
  const origin = c.req.header('origin');
  if (origin !== undefined && origin !== publicOrigin) {
    throw new EinmalError('Portal.InvalidForm', { detail: 'foreign origin' });
  }
  const session = c.get('session');
  if (!session) throw new EinmalError('Portal.InvalidForm', { detail: 'no session' });
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody();
  } catch (cause) {
    throw new EinmalError('Portal.InvalidForm', { cause, detail: 'unreadable form' });
  }
  const form: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) if (typeof value === 'string') form[key] = value;
  if (!form.csrf || !sameToken(form.csrf, session.csrf)) {
    throw new EinmalError('Portal.InvalidForm', { detail: 'csrf token' });
  }
  return { session, form };
}

/** The logged-in user of the request if they have `role`; else `undefined`. */
export function userWithRole(c: Context<PortalEnv>, role: Role) {
  const user = c.get('session')?.user;
  return user?.role === role ? user : undefined;
}
