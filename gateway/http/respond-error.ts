import { randomUUID } from 'node:crypto';
import { EinmalError, isDatabaseUnavailable, type Logger, toEinmalError } from '../../core/index.ts';
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

/**
 * The error answer of an exchange, after its rejection record: every refusal leaves a record, so
 * the log shows attacks as well as accesses. When the log itself is what failed, there is nothing
 * to record into; the 503 goes out alone. So when the database is unreachable (a lookup before the
 * record failed on it): the log cannot be written either, and the answer is that same 503, not 500.
 */
export async function respondRejected(
  thrown: unknown,
  options: {
    log: Logger;
    fallback: 'Server.ClientProxy.InternalError' | 'Server.ServerProxy.InternalError';
    record: (
      status: number,
      outcome: { errorCode: EinmalError['code']; failed: boolean },
    ) => Promise<unknown>;
  },
): Promise<Response> {
  const unavailable =
    options.fallback === 'Server.ClientProxy.InternalError'
      ? 'Server.ClientProxy.AuditUnavailable'
      : 'Server.ServerProxy.AuditUnavailable';
  const { response, error } = respondError(
    (!(thrown instanceof EinmalError) || thrown.code.endsWith('InternalError')) &&
      isDatabaseUnavailable(thrown)
      ? new EinmalError(unavailable, { cause: thrown })
      : thrown,
    options.log,
    options.fallback,
  );
  if (!error.code.endsWith('.AuditUnavailable')) {
    await options
      .record(error.status, { errorCode: error.code, failed: error.status >= 500 })
      .catch((failure) => {
        options.log.error({ err: failure }, 'rejection record could not be written');
      });
  }
  return response;
}

/**
 * The answer to a path no route serves. The path stays out of the log: it is the caller's, and may
 * name a citizen.
 */
export const respondNotFound = (log: Logger): Response =>
  respondError(new EinmalError('Client.NotFound'), log).response;
