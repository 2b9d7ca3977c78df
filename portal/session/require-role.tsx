import type { MiddlewareHandler } from 'hono';
import { LOGIN_PAGE } from '../auth/auth-routes.tsx';
import type { PortalEnv } from '../http/portal-env.ts';
import { renderPage } from '../http/render.tsx';
import { Notice } from '../pages/layout.tsx';
import type { Role } from './session-store.ts';

/**
 * Admits only a person logged in with `role`: citizens' pages refuse auditors and auditors' pages
 * refuse citizens (403, saying so); without a login the request goes to the role's login page,
 * which says when the session expired or was not valid.
 *
 * @example
 * app.use('/timeline/*', requireRole('citizen'));
 */
export function requireRole(role: Role): MiddlewareHandler<PortalEnv> {
  return async function checkRole(c, next) {
    const user = c.get('session')?.user;
    if (user?.role === role) return next();
    const t = c.get('t');
    if (user) {
      return renderPage(c, { title: t.errors.forbiddenTitle, status: 403 }, () => (
        <>
          <h1>{t.errors.forbiddenTitle}</h1>
          <Notice kind="error">{role === 'auditor' ? t.notices.auditorOnly : t.notices.citizenOnly}</Notice>
          <p>
            <a href={user.role === 'citizen' ? '/timeline' : '/auditor'}>{t.errors.home}</a>
          </p>
        </>
      ));
    }
    const problem = c.get('sessionProblem');
    const notice = problem === 'expired' ? 'expired' : problem === 'unknown' ? 'invalidSession' : undefined;
    return c.redirect(`${LOGIN_PAGE[role]}${notice ? `?notice=${notice}` : ''}`, 303);
  };
}
