import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { isDatabaseReachable } from '../core/database/index.ts';
import { type Clock, EinmalError, errorHandlers, type Logger } from '../core/index.ts';
import type { RegistryDb } from './db/index.ts';
import type { DirectoryPublisher } from './directory-publisher.ts';
import type { RegistryMetrics } from './metrics.ts';

export interface PublicAppDeps {
  readonly db: Kysely<RegistryDb>;
  readonly log: Logger;
  readonly clock: Clock;
  readonly publisher: DirectoryPublisher;
  readonly metrics: RegistryMetrics;
  /** Further public routes (e.g. gateways' registration requests). */
  readonly routes?: Hono<any> | undefined;
}

/** Whether an `If-None-Match` header names `etag` (RFC 9110 §13.1.2, weak comparison). */
function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/**
 * The registry's public listener: `GET /directory` (the signed directory as a compact JWS,
 * `ETag` = its version, `304` on a matching `If-None-Match`), `/healthz`, `/readyz` and `/metrics`.
 *
 * @example
 * const app = createPublicApp({ db, log, clock, publisher, metrics });
 */
export function createPublicApp(deps: PublicAppDeps): Hono {
  const app = new Hono();
  const errors = errorHandlers({ log: deps.log, pathInLog: (path) => path });
  app.onError(errors.onError);
  app.notFound(errors.notFound);
  app.use('*', async function countPublicRequest(c, next) {
    await next();
    deps.metrics.countRequest('public', c.res.status);
  });

  app.get('/directory', (c) => {
    const published = deps.publisher.current();
    if (!published) throw new EinmalError('Directory.Unavailable');
    const etag = `"${published.version}"`;
    c.header('ETag', etag);
    c.header('Cache-Control', 'no-cache');
    if (matchesEtag(c.req.header('if-none-match'), etag)) return c.body(null, 304);
    c.header('Content-Type', 'application/jose');
    return c.body(published.jws, 200);
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', async (c) => {
    const published = deps.publisher.current();
    const checks = {
      database: await isDatabaseReachable(deps.db),
      directory: published !== undefined && published.expiresAt.getTime() > deps.clock(),
    };
    const ready = checks.database && checks.directory;
    return c.json({ status: ready ? 'ready' : 'not ready', checks }, ready ? 200 : 503);
  });

  app.get('/metrics', (c) => {
    const published = deps.publisher.current();
    const body = deps.metrics.render({
      einmal_registry_directory_version: {
        help: 'Version of the directory served.',
        value: published?.version ?? 0,
      },
      einmal_registry_directory_expires_at_seconds: {
        help: 'Expiry of the directory served, Unix time.',
        value: published ? Math.floor(published.expiresAt.getTime() / 1000) : 0,
      },
      einmal_registry_directories_signed_total: {
        help: 'Directories signed since start.',
        value: deps.publisher.signedCount(),
      },
    });
    return c.body(body, 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  });

  if (deps.routes) app.route('/', deps.routes);
  return app;
}
