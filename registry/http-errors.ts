import { randomUUID } from 'node:crypto';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { EinmalError, type Logger, toEinmalError } from '../core/index.ts';
import { errorResponse } from '../schemas/index.ts';

/** An X-Road error body answer for `error`, logged under a fresh incident id. */
export function errorAnswer(c: Context, error: EinmalError, log: Logger): Response {
  const incidentId = randomUUID();
  const fields = {
    incidentId,
    code: error.code,
    method: c.req.method,
    path: c.req.path,
    detail: error.detail,
  };
  if (error.status >= 500) log.error({ ...fields, err: error.cause ?? error }, error.message);
  else log.info(fields, error.message);
  const { status, headers, body } = errorResponse(error, incidentId);
  return new Response(body, { status, headers });
}

/**
 * The one `onError` of the registry's apps: every failure answers with the X-Road error body and a
 * stable code; anything unexpected is `Server.InternalError` with a fixed message, never a stack.
 */
export function registryErrorHandler(log: Logger): ErrorHandler {
  return function onRegistryError(error, c) {
    if (error instanceof HTTPException && !(error instanceof EinmalError)) {
      const code = error.status === 413 ? 'Client.BodyTooLarge' : 'Client.BadRequest';
      return errorAnswer(c, new EinmalError(code, { cause: error }), log);
    }
    return errorAnswer(c, toEinmalError(error), log);
  };
}

/** `Client.NotFound` for unknown routes. */
export function registryNotFound(log: Logger): NotFoundHandler {
  return function onRegistryNotFound(c) {
    return errorAnswer(c, new EinmalError('Client.NotFound'), log);
  };
}
