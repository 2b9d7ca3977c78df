import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { EinmalError, type ErrorCode } from './einmal-error.ts';
import { type ErrorLog, respondError } from './respond-error.ts';

/** What Node's HTTP parser reports, by its error code, as the X-Road error a caller sees. */
function refusalCode(parserCode: string | undefined): ErrorCode {
  if (parserCode === 'HPE_HEADER_OVERFLOW') return 'Client.HeadersTooLarge';
  if (parserCode === 'ERR_HTTP_REQUEST_TIMEOUT') return 'Client.RequestTimeout';
  return 'Client.BadRequest';
}

/**
 * A `clientError` listener for every HTTP server einmal runs (gateway, registry, adapters, portal,
 * eID provider): a request Node's own parser refuses
 * (broken framing, a header block over the size limit, a request not received in time) is answered
 * like every other refusal, with the X-Road error body (`{type, message, detail}`), the
 * `X-Road-Error` header and a JSON content type with its charset, instead of Node's bare 400 or 431.
 * The connection is closed afterwards: after a framing error nothing on it can be trusted. Nothing
 * of the request is known, so nothing reaches the audit log; the error id is logged.
 *
 * @example server.on('clientError', answerParserRefusal(log));
 */
export function answerParserRefusal(log: ErrorLog) {
  return function onClientError(error: Error & { code?: string }, socket: Duplex): void {
    const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || answering?.headersSent) {
      socket.destroy();
      return;
    }
    const { answer } = respondError(new EinmalError(refusalCode(error.code)), {
      log,
      fields: { parser: error.code },
    });
    const { status, headers, body } = answer;
    const head = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
      `content-type: ${headers['content-type']}`,
      `x-road-error: ${headers['x-road-error']}`,
      `content-length: ${Buffer.byteLength(body)}`,
      'connection: close',
    ];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  };
}
