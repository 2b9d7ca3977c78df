import type { Context } from 'hono';
import { html } from 'hono/html';
import type { Child } from 'hono/jsx';
import { messagesFor } from '../i18n/messages.ts';
import { Layout, type PageContext } from '../pages/layout.tsx';
import type { PortalEnv } from './portal-env.ts';

/** What a page needs to know about its request: language, messages, the person and their CSRF token. */
export function pageContext(c: Context<PortalEnv>): PageContext {
  const session = c.get('session');
  const user = session?.user;
  return {
    t: c.get('t') ?? messagesFor('de'),
    lang: c.get('lang') ?? 'de',
    here: c.get('here') ?? '/',
    user: user ? { role: user.role, name: user.name, subject: user.subject } : undefined,
    csrf: session?.csrf,
  };
}

/**
 * Renders a whole page in the portal's layout, as an HTML5 document.
 *
 * @example
 * return renderPage(c, { title: t.timeline.title, active: '/timeline' }, <Timeline ... />);
 */
export function renderPage(
  c: Context<PortalEnv>,
  options: {
    readonly title: string;
    readonly active?: string;
    readonly scripts?: readonly string[];
    readonly status?: 200 | 400 | 403 | 404 | 500 | 503;
  },
  body: (page: PageContext) => Child,
): Response | Promise<Response> {
  const page = pageContext(c);
  const document = (
    <Layout
      page={page}
      title={options.title}
      {...(options.active ? { active: options.active } : {})}
      {...(options.scripts ? { scripts: options.scripts } : {})}
    >
      {body(page)}
    </Layout>
  );
  return c.html(html`<!doctype html>${document}`, options.status ?? 200);
}
