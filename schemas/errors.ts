import { z } from 'zod';
import type { EinmalError } from '../core/index.ts';

/** The X-Road error body (X-Road pr-rest §4.4): `detail` is the incident id to quote to support. */
export const errorBodySchema = z.object({
  type: z.string().min(1),
  message: z.string(),
  detail: z.uuid(),
});

/** The X-Road error body. */
export type ErrorBody = z.infer<typeof errorBodySchema>;

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
 * The body a caller sees for an error: its stable type, its safe message and the incident id under
 * which the details were logged. The error's `detail` and `cause` never leave the process.
 * @example toErrorBody(new EinmalError('Client.InvalidIdentifier'), randomUUID())
 */
export function toErrorBody(error: EinmalError, incidentId: string): ErrorBody {
  return { type: error.type, message: error.message, detail: incidentId };
}

/**
 * The full HTTP answer for an error, with the `X-Road-Error` header carrying the type.
 * @example
 * const { status, headers, body } = errorResponse(error, incidentId);
 * return new Response(body, { status, headers });
 */
export function errorResponse(error: EinmalError, incidentId: string): ErrorResponse {
  return {
    status: error.status,
    headers: { 'x-road-error': error.type, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(toErrorBody(error, incidentId)),
  };
}
