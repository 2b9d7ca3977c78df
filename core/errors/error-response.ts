import type { EinmalError } from './einmal-error.ts';

/**
 * The X-Road error body (X-Road pr-rest §4.6): the stable `type`, the safe `message`, and in `detail`
 * the error id under which the details were logged, for the caller to quote to support.
 * Its zod contract is `errorBodySchema` in schemas/.
 */
export interface ErrorBody {
  readonly type: string;
  readonly message: string;
  readonly detail: string;
}

/** An error answer ready to send: status, headers and body (JSON, or XML when asked for). */
export interface ErrorResponse {
  readonly status: number;
  readonly headers: {
    readonly 'x-road-error': string;
    readonly 'content-type': `${BodyFormat}; charset=utf-8`;
  };
  readonly body: string;
}

/**
 * The media types X-Road's REST protocols answer in: JSON, or XML as the caller named it
 * (`application/xml`, or `text/xml`, which `text/*` also asks for).
 */
export type BodyFormat = 'application/json' | 'application/xml' | 'text/xml';

/**
 * Which of JSON and XML an `Accept` header prefers, by quality, as the media type to answer with;
 * `fallback` when it names neither (or both equally). Among XML types the first of the highest
 * quality wins: `text/xml` and `text/*` answer `text/xml`, `application/xml` and `…+xml` answer
 * `application/xml`, as an X-Road security server does. pr-rest answers errors as JSON unless XML
 * is asked for; pr-meta's `listClients` answers XML unless JSON is asked for.
 * @example preferredFormat('text/xml', 'application/json') // 'text/xml'
 */
export function preferredFormat(accept: string | undefined, fallback: BodyFormat): BodyFormat {
  if (!accept) return fallback;
  let json = -1;
  let xml: { q: number; type: BodyFormat } = { q: -1, type: 'application/xml' };
  for (const range of accept.slice(0, 1024).split(',')) {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number.parseFloat(qParam.slice(2));
    if (!(q > 0)) continue;
    if (type === 'application/json' || type.endsWith('+json')) json = Math.max(json, q);
    const xmlType = XML_TYPES[type] ?? (type.endsWith('+xml') ? 'application/xml' : undefined);
    if (xmlType !== undefined && q > xml.q) xml = { q, type: xmlType };
  }
  if (json === xml.q) return fallback;
  return json > xml.q ? 'application/json' : xml.type;
}

const XML_TYPES: Readonly<Record<string, BodyFormat>> = {
  'application/xml': 'application/xml',
  'text/xml': 'text/xml',
  'text/*': 'text/xml',
};

/** Text escaped for an XML element or a double-quoted attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
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
 * The full HTTP answer for an error, with the `X-Road-Error` header carrying the type; the body is
 * JSON, or pr-rest's XML `<error>` with the same three fields when `format` is an XML type.
 * @example
 * const { status, headers, body } = errorResponse(error, errorId);
 * return new Response(body, { status, headers });
 */
export function errorResponse(
  error: EinmalError,
  errorId: string,
  format: BodyFormat = 'application/json',
): ErrorResponse {
  const body = toErrorBody(error, errorId);
  if (format !== 'application/json') {
    return {
      status: error.status,
      headers: { 'x-road-error': error.type, 'content-type': `${format}; charset=utf-8` },
      body:
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<error><type>${escapeXml(body.type)}</type><message>${escapeXml(body.message)}</message>` +
        `<detail>${escapeXml(body.detail)}</detail></error>`,
    };
  }
  return {
    status: error.status,
    headers: { 'x-road-error': error.type, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  };
}
