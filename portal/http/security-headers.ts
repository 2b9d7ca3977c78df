import type { MiddlewareHandler } from 'hono';

/**
 * The portal's response headers: a strict Content-Security-Policy (only the portal's own style
 * sheet and script; forms may go to the portal and, for the login redirect, to the trusted eID
 * providers), no framing, no referrer to other sites, no sniffing, and no caching of pages that show personal data.
 *
 * @example
 * app.use(securityHeaders({ formTargets: () => issuers.map((i) => new URL(i).origin) }));
 */
export function securityHeaders(options: {
  readonly formTargets: () => readonly string[];
}): MiddlewareHandler {
  return async function setSecurityHeaders(c, next) {
    await next();
    const targets = [...new Set(options.formTargets())].join(' ');
    c.header(
      'content-security-policy',
      [
        "default-src 'none'",
        "style-src 'self'",
        "script-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        `form-action 'self'${targets ? ` ${targets}` : ''}`,
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ].join('; '),
    );
    c.header('x-content-type-options', 'nosniff');
    c.header('x-frame-options', 'DENY');
    // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on the portal's own forms.
    c.header('referrer-policy', 'same-origin');
    c.header('cross-origin-opener-policy', 'same-origin');
    c.header('cross-origin-resource-policy', 'same-origin');
    c.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
  };
}
