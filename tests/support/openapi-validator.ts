import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, unknown> };
}
interface OpenApiOperation {
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}

/**
 * Checks bodies against an OpenAPI 3.1 document with an independent JSON Schema 2020-12 validator
 * (Ajv): a response must have a documented status and match that status's schema. Returns the
 * problems found, so an assertion shows them; an empty list means the body conforms.
 */
export function createOpenApiValidator(published: unknown) {
  // `#/components/schemas/X` becomes `#/$defs/X` so each schema compiles on its own.
  const document = JSON.parse(
    JSON.stringify(published).replaceAll('#/components/schemas/', '#/$defs/'),
  ) as OpenApiDocument;
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
  addFormats.default(ajv);
  const compiled = new Map<object, ValidateFunction>();

  const check = (schema: object | undefined, body: unknown, where: string): string[] => {
    if (schema === undefined) return body === undefined || body === '' ? [] : [`${where} documents no body`];
    let validate = compiled.get(schema);
    if (validate === undefined) {
      validate = ajv.compile({ $defs: document.components.schemas, ...schema });
      compiled.set(schema, validate);
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${where}: ${e.instancePath || '/'} ${e.message}`);
  };
  const operation = (method: string, path: string): OpenApiOperation => {
    const found = document.paths[path]?.[method.toLowerCase()];
    if (found === undefined) throw new TypeError(`${method} ${path} is not in the document`);
    return found;
  };

  return {
    response(method: string, path: string, status: number, body: unknown): string[] {
      const response = operation(method, path).responses[String(status)];
      if (response === undefined) return [`${method} ${path} documents no ${status} response`];
      return check(response.content?.['application/json']?.schema, body, `${method} ${path} ${status}`);
    },
    request(method: string, path: string, body: unknown): string[] {
      const schema = operation(method, path).requestBody?.content['application/json']?.schema;
      return check(schema, body, `${method} ${path} request`);
    },
  };
}
