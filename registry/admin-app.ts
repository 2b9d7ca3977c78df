import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { type Clock, EinmalError, type ErrorCode, errorHandlers, type Logger } from '../core/index.ts';
import { adminOpenApi } from './admin-openapi.ts';
import { type AdminResource, adminResources } from './admin-resources.ts';
import type { RegistryDb } from './db/index.ts';
import { buildDirectory, type DirectorySettings } from './directory-builder.ts';
import type { DirectoryPublisher } from './directory-publisher.ts';
import type { RegistryMetrics } from './metrics.ts';
import { type AdminEnv, type OperatorAuthSettings, operatorAuth } from './operator-auth.ts';

export interface AdminAppDeps {
  readonly db: Kysely<RegistryDb>;
  readonly log: Logger;
  readonly clock: Clock;
  readonly publisher: DirectoryPublisher;
  readonly settings: DirectorySettings;
  readonly auth: OperatorAuthSettings;
  readonly metrics: RegistryMetrics;
  /** Further operator routes (e.g. registration approval), mounted behind the same authentication. */
  readonly routes?: Hono<any> | undefined;
}

const MAX_BODY_BYTES = 256 * 1024;

/** Parses untrusted input with zod; a mismatch is `code` listing what is wrong, never a 500. */
function parseInput<S extends z.ZodType>(schema: S, input: unknown, code: ErrorCode): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}`);
  throw new EinmalError(code, { message: `Invalid input: ${problems.join('; ')}`, detail: problems });
}

/**
 * The registry admin API (docs/architecture.md §1): JSON CRUD of every kind of entry under `/admin`, for the
 * operator only. A change is committed only if the resulting directory is valid, and the new
 * directory is signed before the answer, so the next `GET /directory` carries it.
 *
 * @example
 * const admin = createAdminApp({ db, log, clock, publisher, settings, auth, metrics });
 */
export function createAdminApp(deps: AdminAppDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  const errors = errorHandlers({ log: deps.log, pathInLog: (path) => path });
  app.onError(errors.onError);
  app.notFound(errors.notFound);
  app.use('*', async function countAdminRequest(c, next) {
    await next();
    deps.metrics.countRequest('admin', c.res.status);
  });
  app.use('/admin/*', operatorAuth(deps.auth));
  app.use(
    '/admin/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new EinmalError('Client.BodyTooLarge');
      },
    }),
  );

  const openApi = adminOpenApi(adminResources);
  app.get('/admin/openapi.json', (c) => c.json(openApi));

  for (const resource of adminResources) mountResource(app, resource, deps);
  if (deps.routes) app.route('/', deps.routes);
  return app;
}

function mountResource(app: Hono<AdminEnv>, resource: AdminResource, deps: AdminAppDeps): void {
  const path = `/admin/${resource.path}`;

  async function change<T>(run: (trx: Kysely<RegistryDb>) => Promise<T>): Promise<T> {
    const result = await deps.db.transaction().execute(async (trx) => {
      const value = await run(trx);
      await buildDirectory(trx, deps.settings, new Date(deps.clock()));
      return value;
    });
    await deps.publisher.publish();
    return result;
  }

  app.get(path, async (c) => c.json(await resource.list(deps.db)));

  app.post(path, async (c) => {
    if (!c.req.header('content-type')?.toLowerCase().startsWith('application/json')) {
      throw new EinmalError('Client.BadRequest', { message: 'The body must be application/json' });
    }
    let json: unknown;
    try {
      json = await c.req.json();
    } catch (cause) {
      if (cause instanceof EinmalError) throw cause;
      throw new EinmalError('Client.BadRequest', { message: 'The body is not valid JSON', cause });
    }
    const body = parseInput(resource.body, json, 'Client.InvalidBody');
    const added = await change((trx) => resource.add(trx, body, new Date(deps.clock())));
    deps.log.info({ operator: c.get('operator').via, kind: resource.noun }, 'registry entry added');
    return c.json(added as object, 201);
  });

  app.delete(path, async (c) => {
    const query = parseInput(resource.removeQuery, c.req.query(), 'Client.BadRequest');
    await change((trx) => resource.remove(trx, query));
    deps.log.info({ operator: c.get('operator').via, kind: resource.noun }, 'registry entry removed');
    return c.body(null, 204);
  });
}
