import type { z } from 'zod';
import { EinmalError } from './errors/index.ts';

/**
 * Parses a service's configuration once at start. Every problem is listed at once, one per line,
 * named by the environment variable (or key) it concerns, so an operator fixes all of them in one go.
 *
 * @example
 * const config = loadConfig(gatewayConfigSchema, process.env);
 */
export function loadConfig<S extends z.ZodType>(schema: S, source: Record<string, unknown>): z.output<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `${key}: ${issue.message}`;
  });
  throw new EinmalError('Config.Invalid', {
    message: `Invalid configuration:\n  ${problems.join('\n  ')}`,
    detail: problems,
  });
}
