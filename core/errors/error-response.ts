import type { EinmalError } from './einmal-error.ts';

/**
 * The X-Road error body (X-Road pr-rest §4.4): the stable `type`, the safe `message`, and in `detail`
 * the error id under which the details were logged, for the caller to quote to support.
 * Its zod contract is `errorBodySchema` in schemas/.
 */
export interface ErrorBody {
  readonly type: string;
  readonly message: string;
  readonly detail: string;
}

/** An error answer ready to send: status, headers and JSON body. */
export interface ErrorResponse {
  readonly status: number;
  readonly headers: {
    readonly 'x-road-error': string;
    readonly 'content-type': 'application/json; charset=utf-8';
  };
  readonly body: string;
}

/**
 * The body a caller sees for an error: its stable type, its safe message and the error id under
 * which the details were logged. The error's `detail` and `cause` never leave the process.
 * @example toErrorBody(new EinmalError('Client.InvalidIdentifier'), randomUUID())
 */
export function toErrorBody(error: EinmalError, errorId: string): ErrorBody {
  return { type: error.type, message: error.message, detail: errorId };
}

/**
 * The full HTTP answer for an error, with the `X-Road-Error` header carrying the type.
 * @example
 * const { status, headers, body } = errorResponse(error, errorId);
 * return new Response(body, { status, headers });
 */
export function errorResponse(error: EinmalError, errorId: string): ErrorResponse {
  return {
    status: error.status,
    headers: { 'x-road-error': error.type, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(toErrorBody(error, errorId)),
  };
}
