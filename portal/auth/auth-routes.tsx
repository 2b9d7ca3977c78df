import { type Context, Hono } from 'hono';
import { EinmalError, isEinmalError, type Logger } from '../../core/index.ts';
import type { FederationView } from '../federation/federation-view.ts';
import type { PortalEnv } from '../http/portal-env.ts';
import { renderPage } from '../http/render.tsx';
import {
  clearSessionCookie,
  ensureSession,
  readPortalForm,
  setSessionCookie,
} from '../session/session-middleware.ts';
import type { Role, SessionStore } from '../session/session-store.ts';
import { AuditorLoginPage, HomePage, type LoginNotice, loginNoticeOf } from './login-pages.tsx';
import type { OidcLogin } from './oidc-login.ts';

export interface AuthRoutesDeps {
  readonly sessions: SessionStore;
  readonly login: OidcLogin;
  readonly federation: () => FederationView | undefined;
  /** The portal's public URL (origin and base of the callback). */
  readonly publicUrl: URL;
  readonly log: Logger;
}

/** Where each role logs in, and where it lands afterwards. */
export const LOGIN_PAGE: Record<Role, string> = { citizen: '/', auditor: '/auditor/login' };
export const HOME: Record<Role, string> = { citizen: '/timeline', auditor: '/auditor' };

/** A redirect to a login page with a notice. */
export function toLoginPage(c: Context, role: Role, notice: LoginNotice): Response {
  return c.redirect(`${LOGIN_PAGE[role]}?notice=${notice}`, 303);
}

/** Issuers trusted by the signed directory for a role: any eID issuer for citizens, auditor-role ones for auditors. */
function trustedIssuers(view: FederationView | undefined, role: Role): string[] {
  if (!view) return [];
  return (role === 'auditor' ? view.auditorIssuers : view.issuers).map((issuer) => issuer.issuer);
}

/**
 * Login and logout (docs/protocol.md §12): the start pages of citizens and auditors, `POST /login` (starts
 * the code flow at an issuer the signed directory trusts for the role), `GET /auth/callback`
 * (finishes it; the session gets a new id), `POST /logout`. Every failure ends at the role's login
 * page with a notice, never an error page.
 */
export function createAuthRoutes(deps: AuthRoutesDeps): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>();
  const origin = deps.publicUrl.origin;

  const loginPage = (role: Role) => (c: Context<PortalEnv>) => {
    const user = c.get('session')?.user;
    if (user) return c.redirect(HOME[user.role], 303);
    // The login form's CSRF token needs a session, anonymous until the login completes.
    ensureSession(c, deps.sessions);
    const view = deps.federation();
    const notice = loginNoticeOf(c.req.query('notice')) ?? (view ? undefined : 'noDirectory');
    const t = c.get('t');
    const issuers = trustedIssuers(view, role);
    return role === 'citizen'
      ? renderPage(c, { title: t.home.title }, (page) => (
          <HomePage page={page} issuers={issuers} notice={notice} />
        ))
      : renderPage(c, { title: t.auditorLogin.title }, (page) => (
          <AuditorLoginPage page={page} issuers={issuers} notice={notice} />
        ));
  };
  app.get('/', loginPage('citizen'));
  app.get('/auditor/login', loginPage('auditor'));

  app.post('/login', async (c) => {
    const { session, form } = await readPortalForm(c, origin);
    const role: Role = form.role === 'auditor' ? 'auditor' : 'citizen';
    const issuer = form.issuer ?? '';
    if (!trustedIssuers(deps.federation(), role).includes(issuer)) {
      deps.log.warn({ role }, 'login with an untrusted issuer refused');
      return toLoginPage(c, role, 'untrustedIssuer');
    }
    try {
      const { url, pending } = await deps.login.start(issuer, role);
      session.login = pending;
      return c.redirect(url.href, 303);
    } catch (error) {
      if (!isEinmalError(error)) throw error;
      deps.log.warn({ code: error.code, detail: error.detail }, 'login not started');
      return toLoginPage(c, role, 'loginFailed');
    }
  });

  app.get('/auth/callback', async (c) => {
    const session = c.get('session');
    const pending = session?.login;
    if (!session || !pending) {
      // No login was started in this browser session: a stale, replayed or foreign callback.
      if (session) deps.sessions.destroy(session.id);
      clearSessionCookie(c);
      deps.log.warn(
        { expired: c.get('sessionProblem') === 'expired' },
        'callback without a login in progress',
      );
      return toLoginPage(c, 'citizen', c.get('sessionProblem') === 'expired' ? 'expired' : 'loginFailed');
    }
    // One callback per login: a replay of it finds nothing to finish.
    session.login = undefined;
    const role = pending.role;
    const fail = (notice: LoginNotice) => {
      deps.sessions.destroy(session.id);
      clearSessionCookie(c);
      return toLoginPage(c, role, notice);
    };
    if (!trustedIssuers(deps.federation(), role).includes(pending.issuer)) return fail('untrustedIssuer');
    const callback = new URL(`${deps.publicUrl.origin}/auth/callback`);
    callback.search = new URL(c.req.url).search;
    try {
      const done = await deps.login.finish(pending, callback);
      const next = deps.sessions.rotate(session);
      next.user = { role, issuer: pending.issuer, ...done };
      setSessionCookie(c, next);
      return c.redirect(HOME[role], 303);
    } catch (error) {
      if (!isEinmalError(error)) throw error;
      deps.log.warn({ code: error.code, detail: error.detail }, 'login failed');
      const cancelled = (error.detail as { cancelled?: boolean } | undefined)?.cancelled === true;
      return fail(cancelled ? 'cancelled' : 'loginFailed');
    }
  });

  app.post('/logout', async (c) => {
    const { session } = await readPortalForm(c, origin);
    const role = session.user?.role ?? 'citizen';
    deps.sessions.destroy(session.id);
    clearSessionCookie(c);
    return toLoginPage(c, role, 'loggedOut');
  });

  return app;
}

/** The refusal a form without a valid CSRF token or session gets: back to the login page. */
export function isFormRefusal(error: unknown): error is EinmalError {
  return error instanceof EinmalError && error.code === 'Portal.InvalidForm';
}
