import { Hono } from 'hono';
import type { Kysely } from 'kysely';
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
 * `ETag` = its version, `304` on a matching `If-None-Match`), and the further public routes (registration,
 * witness). Health, readiness and metrics are on the operations listener (`REGISTRY_OPS_PORT`).
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

  if (deps.routes) app.route('/', deps.routes);
  return app;
}
