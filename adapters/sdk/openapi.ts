import { z } from 'zod';
import { HEADER } from '../../schemas/index.ts';
import { type ServiceDeclaration, serviceRoute } from './define-service.ts';

type JsonSchema = Record<string, unknown>;

/** Title and version of the adapter, for the OpenAPI `info` object. */
export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
}

const errorBodySchema: JsonSchema = {
  type: 'object',
  description: 'X-Road error body (pr-rest §4.4); `type` is the stable einmal error code.',
  properties: {
    type: { type: 'string', examples: ['Adapter.SubjectMismatch'] },
    message: { type: 'string' },
    detail: { type: 'string', format: 'uuid', description: 'Error id to look up in the adapter log' },
  },
  required: ['type', 'message', 'detail'],
};

/** The verified-context headers the provider gateway sends (docs/protocol.md §5), as OpenAPI parameters. */
const contextParameters: Record<string, { name: string; description: string; required: boolean }> = {
  client: {
    name: HEADER.verifiedClient,
    description: 'Printed client id, verified by the gateway',
    required: true,
  },
  service: { name: HEADER.verifiedService, description: 'Printed service id', required: true },
  subject: {
    name: HEADER.verifiedSubject,
    description: 'Verified data subject; required for personal-data services',
    required: false,
  },
  purpose: { name: HEADER.verifiedPurpose, description: 'Purpose of processing', required: false },
  legalBasis: {
    name: HEADER.verifiedLegalBasis,
    description: 'Legal basis, when an official declared the subject',
    required: false,
  },
  messageId: {
    name: HEADER.verifiedMessageId,
    description: 'Message id of the exchange (UUID)',
    required: true,
  },
  userId: { name: HEADER.verifiedUserId, description: 'The official acting', required: false },
  issue: { name: HEADER.verifiedIssue, description: 'Case number', required: false },
};

/** A zod schema as JSON Schema (2020-12, the dialect of OpenAPI 3.1), without its `$schema` key. */
function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const componentName = (service: ServiceDeclaration, part: 'Request' | 'Response') =>
  `${service.serviceCode}.${part}`.replace(/[^A-Za-z0-9._-]/g, '_');

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/**
 * The OpenAPI 3.1 document of an adapter, derived from its services' zod schemas. GET services take
 * their request as query parameters, POST services as a JSON body. Each operation carries the
 * service's metadata under `x-einmal`, so an integrator sees the same contract the gateway enforces.
 *
 * @example
 * const document = buildOpenApiDocument({ title: 'Residents’ register', version: '1' }, services);
 */
export function buildOpenApiDocument(
  info: OpenApiInfo,
  services: readonly ServiceDeclaration[],
  routeOf: (service: ServiceDeclaration) => string = serviceRoute,
) {
  const schemas: Record<string, JsonSchema> = { Error: errorBodySchema };
  const paths: Record<string, Record<string, unknown>> = {};
  const parameterRefs = Object.keys(contextParameters).map((key) => ({
    $ref: `#/components/parameters/${key}`,
  }));
  for (const service of services) {
    const requestName = componentName(service, 'Request');
    const responseName = componentName(service, 'Response');
    const requestSchema = toJsonSchema(service.request, 'input');
    schemas[requestName] = requestSchema;
    schemas[responseName] = toJsonSchema(service.response, 'output');
    const operation: Record<string, unknown> = {
      operationId: service.serviceCode,
      summary: service.title,
      description: service.description,
      parameters: [...parameterRefs],
      responses: {
        '200': {
          description: service.title,
          content: { 'application/json': { schema: { $ref: `#/components/schemas/${responseName}` } } },
        },
        '400': errorResponse(
          'Malformed context headers or input, or no verified subject (Client.InvalidHeader, Client.InvalidQuery, Client.InvalidBody, Adapter.SubjectMissing)',
        ),
        '403': errorResponse('The request concerns another subject (Adapter.SubjectMismatch)'),
        '404': errorResponse('No record (Adapter.NotFound)'),
        '405': errorResponse(`Only ${service.method} (Client.MethodNotAllowed)`),
        '413': errorResponse('The request body is too large (Client.BodyTooLarge)'),
        '500': errorResponse(
          'The adapter failed or withheld an answer about another person (Adapter.InvalidResponse, Adapter.ResponseWithheld, Server.InternalError)',
        ),
        '503': errorResponse(
          'The registry behind the adapter is unavailable; try again later (Server.Unavailable)',
        ),
      },
      'x-einmal': {
        personalData: service.personalData,
        eidScope: service.eidScope,
        requiredLoa: service.requiredLoa,
        purposes: service.purposes,
        legalBases: service.legalBases,
        hideable: service.hideable,
        personIds: service.personIds.declared,
      },
    };
    if (service.method === 'GET') {
      const properties = (requestSchema.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((requestSchema.required ?? []) as string[]);
      for (const [name, schema] of Object.entries(properties)) {
        (operation.parameters as unknown[]).push({ name, in: 'query', required: required.has(name), schema });
      }
    } else {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${requestName}` } } },
      };
    }
    const route = routeOf(service);
    paths[route] = { ...paths[route], [service.method.toLowerCase()]: operation };
  }
  const parameters = Object.fromEntries(
    Object.entries(contextParameters).map(([key, parameter]) => [
      key,
      { ...parameter, in: 'header', schema: { type: 'string' } },
    ]),
  );
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version },
    paths,
    components: { schemas, parameters },
  };
}

/**
 * The OpenAPI document of one service, as X-Road's `getOpenAPI` hands it out: only this service's
 * operations and schemas, its paths relative to the service's URL (`/r1/{service id}`), so a
 * path from the document appended to that URL is the call.
 *
 * @example buildServiceOpenApiDocument(addressService).paths // { '/': { get: … } }
 */
export function buildServiceOpenApiDocument(service: ServiceDeclaration) {
  return buildOpenApiDocument({ title: service.title, version: service.version }, [service], (s) => s.path);
}
