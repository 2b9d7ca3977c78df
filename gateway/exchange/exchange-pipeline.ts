import type { Context } from 'hono';
import {
  type AnsweredError,
  type Clock,
  type ErrorCode,
  type ErroredRequest,
  type Logger,
  respondError,
} from '../../core/index.ts';
import type { DigestedEnvelope } from '../../protocol/index.ts';
import type { RequestClaims } from '../../schemas/index.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { exchangeRecord, loggableRejection } from '../audit/exchange-record.ts';
import { rawTarget, readBody } from '../http/read-body.ts';

/**
 * What a gateway has learnt about an exchange so far. Each step fills in what it verified, so the
 * record of an exchange refused half-way says as much as is known (docs/protocol.md §8).
 */
export interface ExchangeTrace {
  /** The canonical request path, once the target parsed (the raw path until then). */
  path?: string;
  claims?: RequestClaims;
  /** The signed request (`Einmal-Request`) with its digest. */
  request?: DigestedEnvelope;
  client?: string;
  service?: string;
  /** The verified data subject; `null` when the request names none. */
  subject?: string | null;
  /** The calling gateway, on the provider side. */
  callerGateway?: string;
}

/** How an exchange ended, beyond its status. */
export interface ExchangeEnd {
  readonly errorCode?: ErrorCode;
  /** The failure was the gateway's or the service's, not a refusal of the request. */
  readonly failed?: boolean;
  readonly responseJws?: string;
}

/** One exchange as both gateway roles handle it. */
export interface Exchange {
  readonly method: string;
  /** The request path exactly as received, still percent-encoded. */
  readonly rawPath: string;
  /** The raw query string, without `?`. */
  readonly query: string;
  readonly trace: ExchangeTrace;
  /** Reads the body, refusing more than the gateway's limit (`Client.BodyTooLarge`). */
  readBody(): Promise<Uint8Array>;
  /** The audit record this exchange would have if it ended now with `status`. */
  outcome(status: number, end?: ExchangeEnd): ReturnType<typeof exchangeRecord>;
  /**
   * Appends the exchange's record and resolves once it is committed (fail closed: nothing is
   * answered before). A refusal's record is emptied of what the log cannot hold.
   */
  record(status: number, end?: ExchangeEnd): Promise<unknown>;
}

/** How one exchange ended, as the metrics count it. */
export interface ExchangeEnded {
  readonly side: 'consumer' | 'provider';
  /** The printed service id, once the target parsed. */
  readonly service: string | undefined;
  readonly status: number;
  /** The error code of a refused or failed exchange. */
  readonly errorCode: ErrorCode | undefined;
  /** The gateway's or the service's failure, not a refusal of the request. */
  readonly failed: boolean;
  readonly seconds: number;
}

export interface ExchangePipelineOptions {
  readonly side: 'consumer' | 'provider';
  readonly gatewayId: string;
  readonly audit: AuditLog;
  readonly log: Logger;
  readonly clock: Clock;
  readonly maxBodyBytes: number;
  /** Told of every exchange once it is answered (e.g. the gateway's metrics). */
  readonly observe?: ((ended: ExchangeEnded) => void) | undefined;
}

/**
 * The one exchange pipeline of both gateway roles: the raw request target, the body read within its
 * limit, the trace of what was verified, the record committed before the answer, and for anything
 * thrown the X-Road error answer after its rejection record (docs/architecture.md §3). `handle` does
 * the role's own work and returns the answer once its record is committed.
 *
 * @example
 * app.all('/r1/*', exchangePipeline({ side: 'provider', ... }, (exchange, c) => serve(exchange, c)));
 */
export function exchangePipeline(
  options: ExchangePipelineOptions,
  handle: (exchange: Exchange, c: Context) => Promise<Response>,
): (c: Context) => Promise<Response> {
  const fallback =
    options.side === 'consumer' ? 'Server.ClientProxy.InternalError' : 'Server.ServerProxy.InternalError';
  return async function runExchange(c) {
    const started = performance.now();
    const { path, query } = rawTarget(c);
    const trace: ExchangeTrace = {};
    /** The end of the exchange as last recorded. */
    let recorded: { status: number; end: ExchangeEnd } | undefined;
    const outcome = (status: number, end: ExchangeEnd = {}) =>
      exchangeRecord({
        side: options.side,
        gateway: options.gatewayId,
        now: options.clock(),
        method: c.req.method,
        path: trace.path ?? path,
        claims: trace.claims,
        client: trace.client,
        service: trace.service,
        subject: trace.subject,
        request: trace.request,
        status,
        ...end,
      });
    const record = (status: number, end: ExchangeEnd = {}) => {
      recorded = { status, end };
      return options.audit.append(
        end.errorCode === undefined ? outcome(status, end) : loggableRejection(outcome(status, end)),
      );
    };
    const exchange: Exchange = {
      method: c.req.method,
      rawPath: path,
      query,
      trace,
      readBody: () => readBody(c, options.maxBodyBytes),
      outcome,
      record,
    };
    let response: Response;
    let end: ExchangeEnd;
    try {
      response = await handle(exchange, c);
      end = recorded?.end ?? {};
    } catch (thrown) {
      const rejected = await answerRejection(thrown, { log: options.log, fallback, record, request: c.req });
      response = rejected.response;
      end = { errorCode: rejected.error.code, failed: rejected.error.status >= 500 };
    }
    if (options.observe) {
      const { errorCode, failed } = end;
      options.observe({
        side: options.side,
        service: trace.service,
        status: response.status,
        errorCode,
        failed: failed ?? false,
        seconds: (performance.now() - started) / 1000,
      });
    }
    return response;
  };
}

/**
 * The error answer of an exchange, after its rejection record: every refusal leaves a record, so
 * the log shows attacks as well as accesses. When the log itself is what failed, there is nothing
 * to record into; the 503 goes out alone. So when the database is unreachable (a lookup before the
 * record failed on it): the log cannot be written either, and the answer is that same 503, not 500.
 */
async function answerRejection(
  thrown: unknown,
  options: {
    log: Logger;
    fallback: 'Server.ClientProxy.InternalError' | 'Server.ServerProxy.InternalError';
    record: (status: number, end: ExchangeEnd) => Promise<unknown>;
    /** The request, for the format its `Accept` asks the error in. */
    request: ErroredRequest;
  },
): Promise<Pick<AnsweredError, 'response' | 'error'>> {
  const { response, error } = respondError(thrown, {
    log: options.log,
    request: options.request,
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
  return { response, error };
}
