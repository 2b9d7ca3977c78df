import { EinmalError } from '../core/index.ts';

/** The answer to one request, with the body read. */
export interface PortalPage {
  readonly url: URL;
  readonly status: number;
  readonly location: string | null;
  readonly contentType: string | null;
  readonly body: string;
}

const flowFailed = (message: string) => new EinmalError('Eid.FlowFailed', { message });

/** The value of a form field `name` in an HTML page, as the portal and the eID provider render it. */
function fieldValue(html: string, name: string): string | undefined {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  return match?.[1]?.replaceAll('&amp;', '&');
}

/**
 * A scripted browser for the portal and the development eID provider, as a person would use them
 * but without a screen: it keeps cookies (by name, as a browser does on one host), submits the
 * forms with their CSRF tokens and follows redirects one by one, so each step of the login can be
 * watched or changed. For the demo, tests and benchmarks; people use a real browser.
 *
 * @example
 * const browser = createPortalBrowser('http://127.0.0.1:4403');
 * await browser.login('DE65402138797');
 * const timeline = await browser.get('/timeline');
 */
export function createPortalBrowser(portal: string) {
  const base = new URL(portal);
  const cookies = new Map<string, string>();

  function remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const split = pair.indexOf('=');
      if (split <= 0) continue;
      const name = pair.slice(0, split).trim();
      const value = pair.slice(split + 1).trim();
      const gone = attributes.some((a) => /^\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(a));
      if (gone || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
  }

  async function send(url: URL | string, init: RequestInit = {}): Promise<PortalPage> {
    const target = new URL(url, base);
    const headers = new Headers(init.headers);
    if (cookies.size > 0) headers.set('cookie', [...cookies].map(([n, v]) => `${n}=${v}`).join('; '));
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    remember(response);
    return {
      url: target,
      status: response.status,
      location: response.headers.get('location'),
      contentType: response.headers.get('content-type'),
      body: await response.text(),
    };
  }

  /** Follows redirects from `page`, stopping before a URL that `until` picks. */
  async function follow(page: PortalPage, until?: (url: URL) => boolean): Promise<PortalPage> {
    let current = page;
    for (let step = 0; step < 20; step += 1) {
      if (current.status < 300 || current.status >= 400 || !current.location) return current;
      const next = new URL(current.location, current.url);
      if (until?.(next)) return { ...current, url: next };
      current = await send(next);
    }
    throw flowFailed('too many redirects');
  }

  const isCallback = (url: URL) => url.origin === base.origin && url.pathname === '/auth/callback';

  return {
    /** The cookies held now, by name (e.g. to tamper with the session cookie). */
    cookies,
    /** GETs a download (e.g. an export bundle) as bytes, without following redirects. */
    async download(path: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
      const headers = new Headers();
      if (cookies.size > 0) headers.set('cookie', [...cookies].map(([n, v]) => `${n}=${v}`).join('; '));
      const response = await fetch(new URL(path, base), { headers, redirect: 'manual' });
      remember(response);
      const bytes = Buffer.from(await response.arrayBuffer());
      return { status: response.status, type: response.headers.get('content-type'), bytes };
    },
    /** GETs a portal page and follows its redirects. */
    async get(path: string): Promise<PortalPage> {
      return follow(await send(path));
    },
    /** POSTs a form of the page at `formPage` (its CSRF token included) and follows redirects. */
    async submit(action: string, fields: Record<string, string>, formPage: PortalPage): Promise<PortalPage> {
      const csrf = fieldValue(formPage.body, 'csrf') ?? '';
      const body = new URLSearchParams({ csrf, ...fields });
      return follow(await send(action, { method: 'POST', body, headers: { origin: base.origin } }));
    },
    /** Presses "log in" on the role's login page; returns the eID provider's authorization URL. */
    async startLogin(role: 'citizen' | 'auditor' = 'citizen'): Promise<URL> {
      const page = await send(role === 'auditor' ? '/auditor/login' : '/');
      const csrf = fieldValue(page.body, 'csrf');
      const issuer = fieldValue(page.body, 'issuer');
      if (!csrf || !issuer) throw flowFailed('the login page has no login form');
      const started = await send('/login', {
        method: 'POST',
        body: new URLSearchParams({ csrf, role, issuer }),
        headers: { origin: base.origin },
      });
      if (started.status !== 303 || !started.location) throw flowFailed(`login answered ${started.status}`);
      return new URL(started.location, base);
    },
    /** Logs `account` in at the eID provider's pages and agrees; returns the portal callback URL. */
    async authorize(authorization: URL, account: string): Promise<URL> {
      let page = await follow(await send(authorization), isCallback);
      for (let step = 0; step < 6 && !isCallback(page.url); step += 1) {
        const action = /<form[^>]*action="([^"]+)"/.exec(page.body)?.[1];
        if (page.status !== 200 || !action)
          throw flowFailed(`unexpected ${page.status} at ${page.url.pathname}`);
        const target = new URL(action, page.url);
        const body = target.pathname.endsWith('/login')
          ? new URLSearchParams({ citizen: account })
          : undefined;
        page = await follow(await send(target, { method: 'POST', ...(body ? { body } : {}) }), isCallback);
      }
      if (!isCallback(page.url)) throw flowFailed('the provider did not return to the portal');
      return page.url;
    },
    /** Opens the callback URL (finishing the login) and follows the portal's redirects. */
    async finish(callback: URL): Promise<PortalPage> {
      return follow(await send(callback));
    },
    /** The whole login: start, the provider's pages, the callback. Returns the page it lands on. */
    async login(account: string, role: 'citizen' | 'auditor' = 'citizen'): Promise<PortalPage> {
      const callback = await this.authorize(await this.startLogin(role), account);
      return this.finish(callback);
    },
  };
}

/** A scripted browser of the portal. */
export type PortalBrowser = ReturnType<typeof createPortalBrowser>;
