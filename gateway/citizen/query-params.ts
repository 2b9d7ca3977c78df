import type { z } from 'zod';
import { EinmalError } from '../../core/index.ts';
import { hasControlCharacter } from '../../schemas/index.ts';

/** A request's query parameters as Hono gives them: one value, or every value of a repeated one. */
export type QueryParameters = Record<string, string | readonly string[] | undefined>;

/**
 * Parses a request's query parameters with `schema`; the first problem is `Client.BadRequest`
 * naming the parameter, never the value. A control character in any value is refused before the
 * schema sees it: no text parameter may carry one (PostgreSQL text cannot even hold NUL).
 */
export function parseQuery<S extends z.ZodType>(query: QueryParameters, schema: S): z.output<S> {
  for (const [name, value] of Object.entries(query)) {
    const values = typeof value === 'string' ? [value] : (value ?? []);
    if (values.some(hasControlCharacter)) {
      const shown =
        hasControlCharacter(name) || name.length > 64 ? 'a query parameter' : `query parameter ${name}`;
      throw new EinmalError('Client.BadRequest', {
        message: `Invalid ${shown}: must not contain control characters`,
      });
    }
  }
  const parsed = schema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EinmalError('Client.BadRequest', {
      message:
        `Invalid query parameter ${issue?.path.join('.') || ''}: ${issue?.message ?? 'invalid'}`.trim(),
    });
  }
  return parsed.data;
}
