import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { EinmalError, errorHandlers, respondError } from '../../core/errors/index.ts';
import { parseServiceId, parseVerifiedContextHeaders } from '../../schemas/index.ts';
import { describeService, type ServiceDefinition, serviceRoute } from './define-service.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { assertRequestAboutSubject, assertResponseAboutSubject } from './subject-guard.ts';

/** Largest request body an adapter reads; service inputs are small query documents. */
const MAX_BODY_BYTES = 256 * 1024;

export interface AdapterAppOptions {
  readonly services: readonly ServiceDefinition[];
  readonly log: Logger;
  /** Title of the OpenAPI document, e.g. the registry's name. */
  readonly title?: string;
  /** Readiness probe for `/readyz`, e.g. whether the database answers. */
  readonly isReady?: () => Promise<boolean>;
  /** Told of every answer of a service (its code and version, the status, the seconds taken), e.g. for metrics. */
  readonly observe?: (answered: AdapterAnswered) => void;
}

/** One answer of a service, as `observe` is told of it. */
export interface AdapterAnswered {
  /** The service's code and version, `code/version`. */
  readonly service: string;
  readonly status: number;
  readonly seconds: number;
}

/**
 * Builds the adapter's HTTP app. Each service answers at `/{code}/{version}{path}` after the SDK has
 * validated the verified-context headers, checked that the request is about the verified subject,
 * validated the input, run the handler, validated the output and checked that it too is about the
 * verified subject. `GET /_einmal/services`, `GET /_einmal/openapi`, `/healthz` and `/readyz` describe
 * and probe the adapter.
 *
 * @example
 * const app = createAdapterApp({ services: [addressService], log });
 * serveAdapter({ app, port: 4420 });
 */
export function createAdapterApp(options: AdapterAppOptions): Hono {
  const { services, log } = options;
  const routes = new Set<string>();
  for (const service of services) {
    const route = serviceRoute(service);
    if (routes.has(route)) throw new TypeError(`two services answer at ${route}`);
    routes.add(route);
  }
  const openapi = buildOpenApiDocument({ title: options.title ?? 'einmal adapter', version: '1' }, services);
  const metadata = { services: services.map(describeService) };

  const app = new Hono({ strict: false });
  // A registry database that cannot be reached is `Server.Unavailable` (503: try again later).
  const errors = errorHandlers({
    log,
    unavailable: 'Server.Unavailable',
    notFound: 'Client.UnknownService',
    pathInLog: servicePart,
  });
  app.onError(errors.onError);
  app.notFound(errors.notFound);

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const ready = options.isReady ? await options.isReady().catch(() => false) : true;
    return c.json({ status: ready ? 'ready' : 'unavailable' }, ready ? 200 : 503);
  });
  app.get('/_einmal/services', (c) => c.json(metadata));
  app.get('/_einmal/openapi', (c) => c.json(openapi));

  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) =>
      respondError(new EinmalError('Client.BodyTooLarge'), { log, request: c.req, pathInLog: servicePart })
        .response,
  });
  for (const service of services) {
    const { observe } = options;
    if (observe) {
      app.use(serviceRoute(service), async function observeAnswer(c, next) {
        const started = performance.now();
        await next();
        observe({
          service: `${service.code}/${service.version}`,
          status: c.res.status,
          seconds: (performance.now() - started) / 1000,
        });
      });
    }
    app.all(serviceRoute(service), limit, (c) => answer(c, service, log));
  }
  return app;
}

async function answer(c: Context, service: ServiceDefinition, rootLog: Logger): Promise<Response> {
  if (c.req.method !== service.method) throw new EinmalError('Client.MethodNotAllowed');
  const verified = parseVerifiedContextHeaders((name) => c.req.header(name));
  assertServiceMatches(verified.service, service);
  const log = rootLog.child({
    messageId: verified.messageId,
    client: verified.client,
    service: verified.service,
  });
  if (service.personalData) {
    if (verified.subject === null) {
      throw new EinmalError('Adapter.SubjectMismatch', {
        detail: 'personal-data service called without subject',
      });
    }
    if (verified.purpose === null) {
      throw new EinmalError('Client.InvalidHeader', {
        message: 'A personal-data service needs einmal-purpose',
      });
    }
  }
  const raw = service.method === 'GET' ? readQuery(c) : await readJsonBody(c);
  assertRequestAboutSubject(raw, verified.subject);
  const input = service.request.safeParse(raw);
  if (!input.success) throw invalidInput(input.error);

  const output = await service.handler(input.data, { ...verified, log });

  const checked = service.response.safeParse(output);
  if (!checked.success) {
    throw new EinmalError('Adapter.InvalidResponse', {
      detail: checked.error.issues.map((issue) => ({ path: issue.path, code: issue.code })),
    });
  }
  try {
    assertResponseAboutSubject(checked.data, verified.subject);
  } catch (error) {
    log.error(
      { code: 'Adapter.SubjectMismatch' },
      'handler answered about another subject; response withheld',
    );
    throw error;
  }
  // What the adapter released, by message id, to match against the gateway's audit records.
  log.info('answered');
  return c.json(checked.data as object);
}

/** The gateway names the service it checked; it must be the one this route serves. */
function assertServiceMatches(printed: string, service: ServiceDefinition): void {
  const { serviceCode, serviceVersion } = parseServiceId(printed);
  if (serviceCode !== service.code || (serviceVersion !== undefined && serviceVersion !== service.version)) {
    throw new EinmalError('Client.InvalidHeader', { message: 'einmal-service names another service' });
  }
}

/** The query as an object: one value stays a string, a repeated name becomes an array. */
function readQuery(c: Context): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(c.req.queries())) {
    query[name] = values.length === 1 ? values[0]! : values;
  }
  return query;
}

async function readJsonBody(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw new EinmalError('Client.InvalidBody', { message: 'The request body must be application/json' });
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new EinmalError('Client.InvalidBody', { message: 'The request body is not valid JSON' });
  }
}

function invalidInput(error: z.ZodError): EinmalError {
  const fields = [...new Set(error.issues.map((issue) => printablePath(issue.path)))];
  return new EinmalError('Client.InvalidBody', {
    message: `The request does not match the schema: ${fields.slice(0, 10).join(', ')}`,
    detail: error.issues.map((issue) => ({ path: issue.path, code: issue.code })),
  });
}

/** A field path for the caller; keys the caller invented are not echoed back verbatim. */
function printablePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key) => (typeof key === 'number' || /^[A-Za-z0-9_-]{1,64}$/.test(String(key)) ? String(key) : '?'))
    .join('.');
}

/**
 * The service part of a refused path, `/CODE/VERSION`: what follows is the caller's (a REST path
 * may name a citizen, `/persons/DE…`), and no personal data belongs in the log.
 */
const servicePart = (path: string): string => {
  const parts = path.split('/');
  return parts.length > 3 ? `${parts.slice(0, 3).join('/')}/…` : path;
};
