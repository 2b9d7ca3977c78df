import type { Child } from 'hono/jsx';
import { LANGUAGES, type Language, type Messages } from '../i18n/messages.ts';
import type { Role } from '../session/session-store.ts';

/** What every page knows about its request. */
export interface PageContext {
  readonly t: Messages;
  readonly lang: Language;
  /** Path and query of this page, for the language switch to come back to. */
  readonly here: string;
  /** The person logged in, if any, and the CSRF token for the logout form. */
  readonly user?: { readonly role: Role; readonly name: string | null; readonly subject: string } | undefined;
  readonly csrf?: string | undefined;
}

const LANGUAGE_NAMES: Record<Language, string> = { de: 'Deutsch', en: 'English' };

/** A hidden CSRF field for a POST form of this session. */
export function CsrfField(props: { readonly token: string | undefined }) {
  return <input type="hidden" name="csrf" value={props.token ?? ''} />;
}

/** A notice in plain words; `alert` for what went wrong, `status` for information. */
export function Notice(props: { readonly kind?: 'warning' | 'info' | 'error'; readonly children: Child }) {
  const kind = props.kind ?? 'warning';
  return (
    <p class={`notice ${kind === 'warning' ? '' : kind}`.trim()} role={kind === 'info' ? 'status' : 'alert'}>
      {props.children}
    </p>
  );
}

function Navigation(props: { readonly page: PageContext; readonly active?: string | undefined }) {
  const { t, user } = props.page;
  const links =
    user?.role === 'citizen'
      ? [{ href: '/timeline', label: t.nav.timeline }]
      : user?.role === 'auditor'
        ? [
            { href: '/auditor', label: t.nav.search },
            { href: '/auditor/logs', label: t.nav.logs },
          ]
        : [];
  return (
    <nav aria-label={t.mainNavigation}>
      <ul>
        {links.map((link) => (
          <li>
            <a href={link.href} aria-current={props.active === link.href ? 'page' : undefined}>
              {link.label}
            </a>
          </li>
        ))}
        {user ? (
          <>
            <li class="who">{t.loggedInAs(user.name ?? user.subject)}</li>
            <li>
              <form class="inline" method="post" action="/logout">
                <CsrfField token={props.page.csrf} />
                <button type="submit" class="secondary">
                  {t.logout}
                </button>
              </form>
            </li>
          </>
        ) : null}
      </ul>
    </nav>
  );
}

function LanguageSwitch(props: { readonly page: PageContext }) {
  const { t, lang, here } = props.page;
  return (
    <nav class="languages" aria-label={t.languageSwitch}>
      {LANGUAGES.map((language) => (
        <a
          href={`/language?to=${language}&back=${encodeURIComponent(here)}`}
          lang={language}
          hreflang={language}
          aria-current={language === lang ? 'true' : undefined}
        >
          {LANGUAGE_NAMES[language]}
        </a>
      ))}
    </nav>
  );
}

/**
 * The frame of every page: the language switch, the navigation of the logged-in role, one `main`
 * landmark that the skip link leads to, and the footer.
 */
export function Layout(props: {
  readonly page: PageContext;
  readonly title: string;
  readonly active?: string;
  readonly scripts?: readonly string[];
  readonly children: Child;
}) {
  const { t, lang } = props.page;
  return (
    <html lang={lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · ${t.siteName}`}</title>
        <link rel="stylesheet" href="/static/portal.css" />
        {(props.scripts ?? []).map((src) => (
          <script src={src} defer />
        ))}
      </head>
      <body>
        <a class="skip" href="#main">
          {t.skipToContent}
        </a>
        <header class="site">
          <div class="bar">
            <a class="brand" href="/">
              {t.siteName}
            </a>
            <Navigation page={props.page} active={props.active} />
            <LanguageSwitch page={props.page} />
          </div>
        </header>
        <main id="main" tabindex={-1}>
          {props.children}
        </main>
        <footer>
          <p>{t.footer}</p>
        </footer>
      </body>
    </html>
  );
}
