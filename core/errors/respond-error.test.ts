import { describe, expect, it } from 'vitest';
import { EinmalError } from './einmal-error.ts';
import { escapeXml, preferredFormat } from './error-response.ts';
import { errorHandlers, respondError } from './respond-error.ts';

/** A logger that keeps what it is told. */
function memoryLog() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: object, message: string) => {
    lines.push({ level, fields: fields as Record<string, unknown>, message });
  };
  return { lines, log: { error: at('error'), warn: at('warn') } };
}

/** What Hono's HTTPException looks like to the responder. */
const frameworkRefusal = (status: number) =>
  Object.assign(new Error('framework'), { status, getResponse: () => new Response(null, { status }) });
const unreachable = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('respondError', () => {
  it.each([
    {
      name: 'an EinmalError',
      thrown: new EinmalError('Client.InvalidPath'),
      options: {},
      code: 'Client.InvalidPath',
      status: 400,
    },
    {
      name: 'an unknown failure',
      thrown: new Error('boom'),
      options: {},
      code: 'Server.InternalError',
      status: 500,
    },
    {
      name: 'an unknown failure with a fallback',
      thrown: new Error('boom'),
      options: { fallback: 'Server.ServerProxy.InternalError' },
      code: 'Server.ServerProxy.InternalError',
      status: 500,
    },
    {
      name: "a framework's 413",
      thrown: frameworkRefusal(413),
      options: {},
      code: 'Client.BodyTooLarge',
      status: 413,
    },
    {
      name: "a framework's 400",
      thrown: frameworkRefusal(400),
      options: {},
      code: 'Client.BadRequest',
      status: 400,
    },
    {
      name: 'an unreachable database where the service has one',
      thrown: unreachable(),
      options: { unavailable: 'Server.Unavailable' },
      code: 'Server.Unavailable',
      status: 503,
    },
    {
      name: 'an internal error caused by an unreachable database',
      thrown: new EinmalError('Server.ClientProxy.InternalError', { cause: unreachable() }),
      options: { unavailable: 'Server.ClientProxy.AuditUnavailable' },
      code: 'Server.ClientProxy.AuditUnavailable',
      status: 503,
    },
    {
      name: 'a refusal that happens to carry a database error',
      thrown: new EinmalError('Client.Conflict', { cause: unreachable() }),
      options: { unavailable: 'Server.Unavailable' },
      code: 'Client.Conflict',
      status: 409,
    },
    {
      name: 'an unreachable database where the service has none',
      thrown: unreachable(),
      options: {},
      code: 'Server.InternalError',
      status: 500,
    },
  ] as const)('answers $name with $code ($status)', async ({ thrown, options, code, status }) => {
    const { log, lines } = memoryLog();
    const { response, errorId } = respondError(thrown, { ...options, log });
    expect(response.status).toBe(status);
    expect(response.headers.get('x-road-error')).toBe(code);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = await response.json();
    expect(body).toEqual({ type: code, message: expect.any(String), detail: errorId });
    expect(JSON.stringify(body)).not.toMatch(/boom|ECONNREFUSED|5432/);
    expect(lines).toEqual([
      expect.objectContaining({
        level: status >= 500 ? 'error' : 'warn',
        fields: expect.objectContaining({ code, errorId }),
      }),
    ]);
  });

  it('keeps the path out of the log line unless the service says what of it may be named', () => {
    const { log, lines } = memoryLog();
    errorHandlers({ log }).notFound({ req: { method: 'GET', path: '/persons/DE65402138797' } });
    errorHandlers({ log, pathInLog: (path) => path.split('/').slice(0, 2).join('/') }).notFound({
      req: { method: 'GET', path: '/persons/DE65402138797' },
    });
    expect(lines.map((line) => line.fields.path)).toEqual([undefined, '/persons']);
    expect(JSON.stringify(lines)).not.toContain('DE65402138797');
  });

  it('names the request in the log line, and answers unknown routes with the configured code', async () => {
    const { log, lines } = memoryLog();
    const handlers = errorHandlers({ log, notFound: 'Client.UnknownService', pathInLog: (path) => path });
    const response = handlers.notFound({ req: { method: 'GET', path: '/nowhere' } });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { type: string }).type).toBe('Client.UnknownService');
    expect(lines[0]?.fields).toMatchObject({
      method: 'GET',
      path: '/nowhere',
      code: 'Client.UnknownService',
    });
  });
});

describe('the error body in the format the caller asks for', () => {
  const answer = (accept: string | undefined) =>
    respondError(new EinmalError('Server.ServerProxy.AccessDenied'), {
      log: memoryLog().log,
      request: { method: 'GET', path: '/r1/x', header: (name) => (name === 'accept' ? accept : undefined) },
    });

  it('answers JSON unless XML is preferred, always with the charset', async () => {
    for (const accept of [undefined, '*/*', 'application/json', 'application/xml;q=0.5, application/json']) {
      const { response } = answer(accept);
      expect(response.headers.get('content-type'), String(accept)).toBe('application/json; charset=utf-8');
      expect(await response.json()).toMatchObject({ type: 'Server.ServerProxy.AccessDenied' });
    }
  });

  it('answers pr-rest’s XML error with the same fields when XML is preferred, in the XML type asked for', async () => {
    // As an X-Road security server answers: `text/xml` (and `text/*`) as `text/xml`, else `application/xml`.
    const cases: [string, string][] = [
      ['application/xml', 'application/xml; charset=utf-8'],
      ['application/json;q=0.1, application/xml', 'application/xml; charset=utf-8'],
      ['application/problem+xml', 'application/xml; charset=utf-8'],
      ['text/xml', 'text/xml; charset=utf-8'],
      ['text/*', 'text/xml; charset=utf-8'],
      ['application/json;q=0.5, text/xml;q=0.9, application/xml;q=0.8', 'text/xml; charset=utf-8'],
    ];
    for (const [accept, contentType] of cases) {
      const { response, errorId } = answer(accept);
      expect(response.headers.get('content-type'), accept).toBe(contentType);
      expect(response.headers.get('x-road-error')).toBe('Server.ServerProxy.AccessDenied');
      expect(await response.text()).toBe(
        '<?xml version="1.0" encoding="UTF-8"?>\n<error><type>Server.ServerProxy.AccessDenied</type>' +
          `<message>The client is not allowed to use this service</message><detail>${errorId}</detail></error>`,
      );
    }
  });

  it('escapes what XML would read as markup', () => {
    expect(escapeXml(`a<b>&"c'`)).toBe('a&#60;b&#62;&#38;&#34;c&#39;');
    expect(preferredFormat('application/xml;q=0', 'application/json')).toBe('application/json');
    expect(preferredFormat('application/json, application/xml', 'text/xml')).toBe('text/xml');
    expect(preferredFormat('application/json, text/xml', 'application/json')).toBe('application/json');
  });
});
