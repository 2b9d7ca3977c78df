import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { EinmalError, isDatabaseUnavailable, type Logger, toEinmalError } from '../../core/index.ts';

/**
 * Answers with the X-Road error body `{type, message, detail}` (pr-rest §4.4) and the `X-Road-Error`
 * header. `detail` is a fresh error id that is also logged with the error's own detail, so an
 * operator can find the cause while the caller learns nothing beyond the safe message. A registry
 * database that cannot be reached is `Server.Unavailable` (503: try again later), not a failure.
 */
export function respondWithError(c: Context, thrown: unknown, log: Logger): Response {
  const error: EinmalError = isDatabaseUnavailable(thrown)
    ? new EinmalError('Server.Unavailable', {
        message: 'The registry database is unreachable',
        cause: thrown,
      })
    : toEinmalError(thrown);
  const errorId = randomUUID();
  const entry = {
    errorId,
    code: error.code,
    detail: error.detail,
    method: c.req.method,
    path: servicePart(c.req.path),
  };
  if (error.status >= 500) log.error({ ...entry, err: error.cause ?? error }, 'adapter failed');
  else log.warn(entry, 'request refused');
  c.header('X-Road-Error', error.code);
  return c.json(
    { type: error.code, message: error.message, detail: errorId },
    error.status as ContentfulStatusCode,
  );
}

/**
 * The service part of a refused path, `/CODE/VERSION`: what follows is the caller's (a REST path
 * may name a citizen, `/persons/DE…`), and no personal data belongs in the log.
 */
const servicePart = (path: string): string => {
  const parts = path.split('/');
  return parts.length > 3 ? `${parts.slice(0, 3).join('/')}/…` : path;
};
