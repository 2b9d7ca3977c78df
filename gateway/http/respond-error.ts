import { randomUUID } from 'node:crypto';
import { type EinmalError, type Logger, toEinmalError } from '../../core/index.ts';
import { errorResponse } from '../../schemas/index.ts';

/**
 * The X-Road error answer for anything thrown: the caller sees the stable type, the safe message and
 * an incident id; the log gets the detail and cause under that id. Unknown failures become
 * `fallback`, so no stack trace ever reaches a caller.
 */
export function respondError(
  error: unknown,
  log: Logger,
  fallback: Parameters<typeof toEinmalError>[1] = 'Server.InternalError',
): { response: Response; error: EinmalError } {
  const failure = toEinmalError(error, fallback);
  const incidentId = randomUUID();
  const level = failure.status >= 500 ? 'error' : 'warn';
  log[level]({ code: failure.code, incidentId, detail: failure.detail, err: failure.cause }, failure.message);
  const { status, headers, body } = errorResponse(failure, incidentId);
  return { response: new Response(body, { status, headers }), error: failure };
}
