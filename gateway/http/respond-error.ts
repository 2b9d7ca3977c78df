import { EinmalError, type Logger, respondError } from '../../core/index.ts';

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
  const { response, error } = respondError(thrown, {
    log: options.log,
    fallback: options.fallback,
    unavailable:
      options.fallback === 'Server.ClientProxy.InternalError'
        ? 'Server.ClientProxy.AuditUnavailable'
        : 'Server.ServerProxy.AuditUnavailable',
  });
  if (!error.code.endsWith('.AuditUnavailable')) {
    await options
      .record(error.status, { errorCode: error.code, failed: error.status >= 500 })
      .catch((failure) => {
        options.log.error({ err: failure }, 'rejection record could not be written');
      });
  }
  return response;
}

/** The answer to a path no route serves. */
export const respondNotFound = (request: { method: string; path: string }, log: Logger): Response =>
  respondError(new EinmalError('Client.NotFound'), { log, request }).response;
