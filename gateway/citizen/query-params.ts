import type { z } from 'zod';
import { EinmalError } from '../../core/index.ts';

/**
 * Parses a request's query parameters with `schema`; the first problem is `Client.BadRequest`
 * naming the parameter, never the value.
 */
export function parseQuery<S extends z.ZodType>(query: Record<string, string>, schema: S): z.output<S> {
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
