import { randomUUID } from 'node:crypto';
import { isDatabaseUnavailable } from './database-unavailable.ts';
import { EinmalError, type ErrorCode, toEinmalError } from './einmal-error.ts';
import { type ErrorResponse, errorResponse, preferredFormat } from './error-response.ts';

/** The part of a logger (pino's) the responder writes to; structural, so this leaf imports nothing. */
export interface ErrorLog {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** The request an error answers, as far as the log may name it, and its headers (for `Accept`). */
export interface ErroredRequest {
  readonly method: string;
  readonly path: string;
  header?(name: string): string | undefined;
}

export interface RespondErrorOptions {
  readonly log: ErrorLog;
  /** What an unknown failure becomes (default `Server.InternalError`). */
  readonly fallback?: ErrorCode;
  /**
   * What a database that cannot be reached becomes (a 503: try again later), for services with a
   * database behind them. Applies to unknown failures and to `*InternalError`s caused by one.
   */
  readonly unavailable?: ErrorCode;
  /** The request, for the log line: its method, and its path as far as `pathInLog` allows. */
  readonly request?: ErroredRequest;
  /**
   * What of a request's path the log line may name (default: nothing). A path is the caller's and
   * may name a citizen (`/persons/DE…`), so only a service that knows its paths hold no personal
   * data logs them, or logs the part that is its own.
   */
  readonly pathInLog?: (path: string) => string | undefined;
  /** Further fields for the log line, e.g. what a parser reported. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/** An answered error: the response to send, the error it stands for, and the id it was logged under. */
export interface AnsweredError {
  readonly response: Response;
  /** The same answer as plain parts, for writing to a socket directly. */
  readonly answer: ErrorResponse;
  readonly error: EinmalError;
  readonly errorId: string;
}

/**
 * The one error answer of every einmal HTTP service (gateway, registry, adapter SDK): the X-Road
 * error body `{type, message, detail}` (X-Road pr-rest §4.6) with the `X-Road-Error` header, where
 * `detail` is a fresh error id. The log line carries that id with the error's code, detail and cause,
 * so an operator finds the cause while the caller learns nothing beyond the safe message. Anything
 * unknown becomes `fallback`, so no stack trace ever reaches a caller. Status codes follow
 * docs/protocol.md §9: 4xx for what the caller caused, 5xx for einmal's own or a dependency's failure.
 *
 * @example
 * app.onError((error, c) => respondError(error, { log, request: c.req }).response);
 */
export function respondError(thrown: unknown, options: RespondErrorOptions): AnsweredError {
  const error = classify(thrown, options);
  const errorId = randomUUID();
  const fields = {
    code: error.code,
    errorId,
    ...(options.request ? { method: options.request.method } : {}),
    ...(options.request && options.pathInLog ? { path: options.pathInLog(options.request.path) } : {}),
    ...options.fields,
    detail: error.detail,
  };
  // One message per outcome, so log searches find every refusal and failure; the code says which.
  if (error.status >= 500) options.log.error({ ...fields, err: error.cause ?? error }, 'request failed');
  else options.log.warn({ ...fields, err: error.cause }, 'request refused');
  // pr-rest: the error body in XML when the caller asks for it, JSON otherwise.
  const answer = errorResponse(
    error,
    errorId,
    preferredFormat(options.request?.header?.('accept'), 'application/json'),
  );
  const response = new Response(answer.body, { status: answer.status, headers: answer.headers });
  return { response, answer, error, errorId };
}

function classify(thrown: unknown, options: RespondErrorOptions): EinmalError {
  if (
    options.unavailable !== undefined &&
    (!(thrown instanceof EinmalError) || thrown.code.endsWith('InternalError')) &&
    isDatabaseUnavailable(thrown)
  ) {
    return new EinmalError(options.unavailable, { cause: thrown });
  }
  const refusal = frameworkRefusal(thrown);
  if (refusal) return refusal;
  return toEinmalError(thrown, options.fallback);
}

/**
 * A web framework's own 4xx (Hono's `HTTPException` from a body limit or validator), recognised by
 * its shape so this leaf needs no framework: a body over the limit is `Client.BodyTooLarge`, the rest
 * `Client.BadRequest`.
 */
function frameworkRefusal(thrown: unknown): EinmalError | undefined {
  if (thrown instanceof EinmalError || !(thrown instanceof Error)) return undefined;
  const { status, getResponse } = thrown as Error & { status?: unknown; getResponse?: unknown };
  if (typeof getResponse !== 'function' || typeof status !== 'number' || status < 400 || status > 499) {
    return undefined;
  }
  return new EinmalError(status === 413 ? 'Client.BodyTooLarge' : 'Client.BadRequest', { cause: thrown });
}

/**
 * The `onError` and `notFound` handlers of a Hono app built on {@link respondError}. Structural
 * types: Hono's handlers accept them as they are.
 *
 * @example
 * const errors = errorHandlers({ log, unavailable: 'Server.Unavailable' });
 * app.onError(errors.onError);
 * app.notFound(errors.notFound);
 */
export function errorHandlers(options: RespondErrorOptions & { readonly notFound?: ErrorCode }) {
  return {
    onError(thrown: unknown, c: { readonly req: ErroredRequest }): Response {
      return respondError(thrown, { ...options, request: c.req }).response;
    },
    notFound(c: { readonly req: ErroredRequest }): Response {
      return respondError(new EinmalError(options.notFound ?? 'Client.NotFound'), {
        ...options,
        request: c.req,
      }).response;
    },
  };
}
