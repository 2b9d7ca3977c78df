import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie } from 'hono/cookie';
import { type Logger, toEinmalError } from '../core/index.ts';
import { createAuditorRoutes } from './auditor/auditor-routes.tsx';
import type { LogVerifications } from './auditor/log-verification.ts';
import { createAuthRoutes, HOME, isFormRefusal, toLoginPage } from './auth/auth-routes.tsx';
import type { OidcLogin } from './auth/oidc-login.ts';
import type { TimelineLoader } from './citizen/timeline-loader.ts';
import { createTimelineRoutes } from './citizen/timeline-routes.tsx';
import type { FederationView } from './federation/federation-view.ts';
import type { GatewayClient } from './federation/gateway-client.ts';
import { JOB_PROGRESS_JS, PORTAL_CSS } from './http/assets.ts';
import type { PortalEnv } from './http/portal-env.ts';
import { renderPage } from './http/render.tsx';
import { securityHeaders } from './http/security-headers.ts';
import { chooseLanguage, LANGUAGE_COOKIE } from './i18n/language.ts';
import { LANGUAGES, messagesFor } from './i18n/messages.ts';
import { requireRole } from './session/require-role.tsx';
import { sessionMiddleware } from './session/session-middleware.ts';
import type { SessionStore } from './session/session-store.ts';

export interface PortalAppDeps {
  /** The address people open the portal at; its origin is the only one forms may come from. */
  readonly publicUrl: URL;
  readonly timeZone: string;
  readonly clock: () => number;
  readonly log: Logger;
  readonly sessions: SessionStore;
  readonly login: OidcLogin;
  /** The portal's view of the verified directory; `undefined` until one verified. */
  readonly federation: () => FederationView | undefined;
  readonly timelines: TimelineLoader;
  readonly gateways: GatewayClient;
  readonly verifications: LogVerifications;
}

/** Where a path lives: the auditors' area or the citizens'. */
const roleOfPath = (path: string) => (path.startsWith('/auditor') ? 'auditor' : 'citizen');

/** Keeps a language switch's way back on this site: a local path, never another origin. */
const localPath = (value: string | undefined) =>
  value && /^\/(?![/\\])[^\s]*$/.test(value) && value.length <= 2000 ? value : '/';

/**
 * The portal (docs/protocol.md §12): citizens log in with eID and see who used their data, merged from
 * every gateway and checked against the witnessed logs; auditors log in with a staff account and
 * search and verify the logs their login entitles them to. Server-rendered (Hono JSX) in German and
 * English, with a strict Content-Security-Policy. Pure apart from its dependencies; `server.ts`
 * listens.
 *
 * @example
 * const app = createPortalApp({ publicUrl, timeZone: 'Europe/Berlin', clock: Date.now, log, sessions, login,
 *   federation, timelines, gateways, verifications });
 */
export function createPortalApp(deps: PortalAppDeps): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>();

  app.use(
    securityHeaders({
      formTargets: () => deps.federation()?.issuers.map((issuer) => new URL(issuer.issuer).origin) ?? [],
    }),
  );
  app.use(async function chooseLanguageOf(c, next) {
    const lang = chooseLanguage(getCookie(c, LANGUAGE_COOKIE), c.req.header('accept-language'));
    c.set('lang', lang);
    c.set('t', messagesFor(lang));
    const url = new URL(c.req.url);
    c.set('here', `${url.pathname}${url.search}`);
    await next();
    c.header('content-language', lang);
    c.header('vary', 'accept-language, cookie');
  });
  app.use(sessionMiddleware(deps.sessions));
  // The portal's forms are a few short fields.
  app.use(
    bodyLimit({
      maxSize: 64 * 1024,
      onError: (c) => c.text('Request body too large', 413),
    }),
  );

  app.get('/static/portal.css', (c) => {
    c.header('cache-control', 'public, max-age=3600');
    return c.body(PORTAL_CSS, 200, { 'content-type': 'text/css; charset=utf-8' });
  });
  app.get('/static/job-progress.js', (c) => {
    c.header('cache-control', 'public, max-age=3600');
    return c.body(JOB_PROGRESS_JS, 200, { 'content-type': 'text/javascript; charset=utf-8' });
  });
  // Browsers ask for an icon on their own; the portal has none and says so without an error page.
  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.get('/language', (c) => {
    const to = c.req.query('to');
    if (to && (LANGUAGES as readonly string[]).includes(to)) {
      setCookie(c, LANGUAGE_COOKIE, to, {
        path: '/',
        secure: true,
        httpOnly: true,
        sameSite: 'Lax',
        maxAge: 31_536_000,
      });
    }
    return c.redirect(localPath(c.req.query('back')), 303);
  });

  app.route(
    '/',
    createAuthRoutes({
      sessions: deps.sessions,
      login: deps.login,
      federation: deps.federation,
      publicUrl: deps.publicUrl,
      log: deps.log.child({ component: 'login' }),
    }),
  );

  const citizensOnly = requireRole('citizen');
  app.use('/timeline', citizensOnly);
  app.use('/timeline/*', citizensOnly);
  app.route(
    '/',
    createTimelineRoutes({
      timelines: deps.timelines,
      sessions: deps.sessions,
      federation: deps.federation,
      timeZone: deps.timeZone,
      clock: deps.clock,
    }),
  );

  const auditorsOnly = requireRole('auditor');
  app.use('/auditor', auditorsOnly);
  app.use('/auditor/*', (c, next) => (c.req.path === '/auditor/login' ? next() : auditorsOnly(c, next)));
  app.route(
    '/',
    createAuditorRoutes({
      federation: deps.federation,
      gateways: deps.gateways,
      verifications: deps.verifications,
      publicUrl: deps.publicUrl,
      timeZone: deps.timeZone,
      clock: deps.clock,
      log: deps.log.child({ component: 'auditor' }),
    }),
  );

  app.notFound((c) => {
    const t = c.get('t');
    return renderPage(c, { title: t.errors.notFoundTitle, status: 404 }, () => (
      <>
        <h1>{t.errors.notFoundTitle}</h1>
        <p>{t.errors.notFound}</p>
        <p>
          <a href="/">{t.errors.home}</a>
        </p>
      </>
    ));
  });

  app.onError((error, c: Context<PortalEnv>) => {
    if (isFormRefusal(error)) {
      deps.log.info({ code: error.code, detail: error.detail }, 'form refused');
      // Someone logged in stays logged in and is told on their own start page.
      const user = c.get('session')?.user;
      if (user) return c.redirect(`${HOME[user.role]}?notice=invalidForm`, 303);
      return toLoginPage(c, roleOfPath(c.req.path), 'invalidForm');
    }
    const failure = toEinmalError(error);
    deps.log.error({ err: error, code: failure.code }, 'portal page failed');
    const t = c.get('t') ?? messagesFor('de');
    return renderPage(c, { title: t.errors.errorTitle, status: 500 }, () => (
      <>
        <h1>{t.errors.errorTitle}</h1>
        <p>{t.errors.error}</p>
        <p>
          <a href="/">{t.errors.home}</a>
        </p>
      </>
    ));
  });
  return app;
}
