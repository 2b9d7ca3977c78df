import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import { z } from 'zod';
import { EinmalError, errorHandlers, respondError } from '../../core/errors/index.ts';
import { parseServiceId, parseVerifiedContextHeaders } from '../../schemas/index.ts';
import { describeService, type ServiceDefinition, serviceRoute } from './define-service.ts';
import { buildOpenApiDocument, buildServiceOpenApiDocument } from './openapi.ts';
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
 * Builds the adapter's HTTP app. Each service answers at `/{service code}{path}` after the SDK has
 * validated the verified-context headers, checked that the request is about the verified subject,
 * validated the input, run the handler, validated the output and checked that it too is about the
 * verified subject. `GET /_einmal/services`, `GET /_einmal/openapi` (all services),
 * `GET /_einmal/services/{service code}/openapi` (one service, paths relative to its URL), `/healthz`
 * and `/readyz` describe and probe the adapter.
 *
 * @example
 * const app = createAdapterApp({ services: [addressService], log });
 * serveAdapter({ app, port: 4420 });
 */
export function createAdapterApp(options: AdapterAppOptions): Hono {
  const { services, log } = options;
  checkServices(services);
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
  const perService = new Map(services.map((s) => [s.serviceCode, buildServiceOpenApiDocument(s)]));
  app.get('/_einmal/services/:serviceCode/openapi', (c) => {
    const document = perService.get(c.req.param('serviceCode'));
    if (!document) throw new EinmalError('Client.UnknownService');
    return c.json(document);
  });

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
          service: service.serviceCode,
          status: c.res.status,
          seconds: (performance.now() - started) / 1000,
        });
      });
    }
    app.all(serviceRoute(service), limit, (c) => answer(c, service, log));
  }
  return app;
}

/**
 * Refuses (with `TypeError`, at start-up) services that could not be served safely together: one not
 * declared with `defineService`, or two on one route.
 */
export function checkServices(services: readonly ServiceDefinition[]): void {
  const routes = new Set<string>();
  for (const service of services) {
    if (typeof service.personIds?.valuesIn !== 'function') {
      throw new TypeError(`service '${service.code}' was not declared with defineService`);
    }
    const route = serviceRoute(service);
    if (routes.has(route)) throw new TypeError(`two services answer at ${route}`);
    routes.add(route);
  }
}

async function answer(c: Context, service: ServiceDefinition, rootLog: Logger): Promise<Response> {
  if (c.req.method !== service.method) {
    throw new EinmalError('Client.MethodNotAllowed', {
      message: `This service answers ${service.method} only`,
      detail: { reason: `${service.method} only` },
    });
  }
  const verified = parseVerifiedContextHeaders((name) => c.req.header(name));
  assertServiceMatches(verified.service, service);
  const log = rootLog.child({
    messageId: verified.messageId,
    client: verified.client,
    // Not `service`: the root logger's base already names the program under that key.
    serviceId: verified.service,
  });
  if (service.personalData) {
    if (verified.subject === null) {
      throw new EinmalError('Adapter.SubjectMissing', {
        detail: { reason: 'personal-data service called without a verified subject' },
      });
    }
    if (verified.purpose === null) {
      throw new EinmalError('Client.InvalidHeader', {
        message: 'A personal-data service needs einmal-purpose',
        detail: { reason: 'personal-data service called without a purpose' },
      });
    }
  }
  const query = service.method === 'GET' ? readQuery(c) : undefined;
  const raw = query ?? (await readJsonBody(c));
  assertRequestAboutSubject(raw, verified.subject);
  if (query) assertKnownParameters(query, service);
  const input = service.request.safeParse(raw);
  if (!input.success)
    throw invalidInput(input.error, service.method === 'GET' ? 'Client.InvalidQuery' : 'Client.InvalidBody');

  const output = await service.handler(input.data, { ...verified, log });

  const checked = service.response.safeParse(output);
  if (!checked.success) {
    throw new EinmalError('Adapter.InvalidResponse', {
      detail: {
        reason: 'the handler answered outside the response schema',
        issues: checked.error.issues.map((issue) => ({ path: issue.path, code: issue.code })),
      },
    });
  }
  assertResponseAboutSubject(checked.data, verified.subject, service.personIds);
  // What the adapter released, by message id, to match against the gateway's audit records.
  log.info('answered');
  // pr-rest: the server states the character set of what it answers.
  return c.body(JSON.stringify(checked.data), 200, { 'content-type': 'application/json; charset=utf-8' });
}

/** The gateway names the service it checked; it must be the one this route serves. */
function assertServiceMatches(printed: string, service: ServiceDefinition): void {
  if (parseServiceId(printed).serviceCode !== service.serviceCode) {
    throw new EinmalError('Client.InvalidHeader', {
      message: 'einmal-service names another service',
      detail: { reason: 'verified service differs from the route' },
    });
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

/** Refuses a query parameter the request schema does not name: a misspelt filter must not widen an answer. */
function assertKnownParameters(query: Record<string, unknown>, service: ServiceDefinition): void {
  const known = queryParameterNames(service);
  const unknown = Object.keys(query)
    .filter((name) => !known.has(name))
    .map(printableKey);
  if (unknown.length === 0) return;
  const allowed = known.size > 0 ? `; allowed: ${[...known].join(', ')}` : '; this service takes none';
  throw new EinmalError('Client.InvalidQuery', {
    message: `Unknown query parameter ${unknown.slice(0, 10).join(', ')}${allowed}`,
    detail: { reason: 'unknown query parameters', parameters: unknown.slice(0, 10) },
  });
}

const queryNames = new WeakMap<ServiceDefinition, ReadonlySet<string>>();

/** The names a GET service's request schema declares (its top-level properties). */
function queryParameterNames(service: ServiceDefinition): ReadonlySet<string> {
  let names = queryNames.get(service);
  if (!names) {
    const schema = z.toJSONSchema(service.request, { io: 'input', unrepresentable: 'any' }) as {
      properties?: Record<string, unknown>;
    };
    names = new Set(Object.keys(schema.properties ?? {}));
    queryNames.set(service, names);
  }
  return names;
}

async function readJsonBody(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw new EinmalError('Client.InvalidBody', {
      message: 'The request body must be application/json',
      detail: { reason: 'not a JSON content type' },
    });
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new EinmalError('Client.InvalidBody', {
      message: 'The request body is not valid JSON',
      detail: { reason: 'unparseable JSON' },
    });
  }
}

/**
 * What is wrong with the input, for the caller: the fields, and for a choice the values allowed.
 * Values the caller sent are never echoed (they may name a person).
 */
function invalidInput(error: z.ZodError, code: 'Client.InvalidQuery' | 'Client.InvalidBody'): EinmalError {
  const problems = [
    ...new Set(
      error.issues.map((issue) => {
        const field = printablePath(issue.path);
        const allowed = 'values' in issue && Array.isArray(issue.values) ? issue.values : undefined;
        return allowed
          ? `${field} must be one of ${allowed
              .slice(0, 20)
              .map((value) => JSON.stringify(value))
              .join(', ')}`
          : `${field}: ${issue.message}`;
      }),
    ),
  ];
  return new EinmalError(code, {
    message: `The ${code === 'Client.InvalidQuery' ? 'query' : 'request body'} does not match the service: ${problems.slice(0, 10).join('; ')}`,
    detail: {
      reason: 'input outside the request schema',
      issues: error.issues.map((issue) => ({
        path: issue.path.map((key) => printableKey(String(key))),
        code: issue.code,
      })),
    },
  });
}

/** A key the caller invented, as far as it may be echoed and logged. */
const printableKey = (key: string): string => (/^[A-Za-z0-9_-]{1,64}$/.test(key) ? key : '?');

/** A field path for the caller; keys the caller invented are not echoed back verbatim. */
function printablePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((key) => (typeof key === 'number' ? String(key) : printableKey(String(key)))).join('.');
}

/**
 * The service part of a refused path, `/SERVICECODE`: what follows is the caller's (a REST path
 * may name a citizen, `/persons/DE…`), and no personal data belongs in the log.
 */
const servicePart = (path: string): string => {
  const parts = path.split('/');
  return parts.length > 2 ? `${parts.slice(0, 2).join('/')}/…` : path;
};
