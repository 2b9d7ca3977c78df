import { z } from 'zod';
import type { AdminResource } from './admin-resources.ts';

const errorBody = {
  type: 'object',
  required: ['type', 'message', 'detail'],
  properties: {
    type: { type: 'string', description: 'Stable error code (X-Road error type)' },
    message: { type: 'string' },
    detail: { type: 'string', format: 'uuid', description: 'Incident id' },
  },
};

const errors = {
  '400': { description: 'Invalid body or query', content: { 'application/json': { schema: errorBody } } },
  '401': { description: 'No operator credential', content: { 'application/json': { schema: errorBody } } },
  '403': { description: 'Not an operator', content: { 'application/json': { schema: errorBody } } },
};

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

/**
 * The admin API's OpenAPI 3.1 document, generated from the same zod schemas that validate it.
 *
 * @example
 * admin.get('/admin/openapi.json', (c) => c.json(adminOpenApi(adminResources)));
 */
export function adminOpenApi(resources: readonly AdminResource[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const r of resources) {
    const body = jsonSchema(r.body);
    const query = jsonSchema(r.removeQuery) as { properties?: Record<string, unknown>; required?: string[] };
    paths[`/admin/${r.path}`] = {
      get: {
        summary: `List ${r.path}`,
        operationId: `list-${r.path}`,
        responses: {
          '200': {
            description: `All ${r.path}`,
            content: { 'application/json': { schema: { type: 'array', items: body } } },
          },
          ...errors,
        },
      },
      post: {
        summary: `Add a ${r.noun}`,
        operationId: `add-${r.noun}`,
        requestBody: { required: true, content: { 'application/json': { schema: body } } },
        responses: {
          '201': {
            description: 'Added; the next directory carries it',
            content: { 'application/json': { schema: body } },
          },
          ...errors,
          '409': {
            description: 'Exists, or refers to unknown entries',
            content: { 'application/json': { schema: errorBody } },
          },
        },
      },
      delete: {
        summary: `Remove a ${r.noun}`,
        operationId: `remove-${r.noun}`,
        parameters: Object.entries(query.properties ?? {}).map(([name, schema]) => ({
          name,
          in: 'query',
          required: query.required?.includes(name) ?? false,
          schema,
        })),
        responses: {
          '204': { description: 'Removed' },
          ...errors,
          '404': { description: 'Not registered', content: { 'application/json': { schema: errorBody } } },
          '409': { description: 'Still referenced', content: { 'application/json': { schema: errorBody } } },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'einmal registry admin API', version: '1' },
    components: {
      securitySchemes: {
        operatorCertificate: {
          type: 'mutualTLS',
          description: 'TLS client certificate of the operator profile',
        },
        operatorToken: { type: 'http', scheme: 'bearer', description: 'Development only' },
      },
    },
    security: [{ operatorCertificate: [] }, { operatorToken: [] }],
    paths,
  };
}
