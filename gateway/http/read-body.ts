import type { Context } from 'hono';
import { EinmalError } from '../../core/index.ts';

const EMPTY = new Uint8Array(0);

/**
 * Reads a request body, refusing more than `maxBytes` before buffering it all. A body that stops
 * before its end (the caller closed the connection, or Node's request timeout did) is the caller's
 * `Client.BadRequest`, recorded as a refusal: the stream's `ECONNRESET` must not pass for a lost
 * database connection.
 */
export async function readBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(c.req.header('content-length') ?? 0);
  if (declared > maxBytes) throw new EinmalError('Client.BodyTooLarge');
  // GET and HEAD carry no body; skip the stream machinery on the most common exchange.
  if (c.req.method === 'GET' || c.req.method === 'HEAD' || !c.req.raw.body) return EMPTY;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = c.req.raw.body.getReader();
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch (cause) {
      throw new EinmalError('Client.BadRequest', {
        message: 'The request body was not received completely',
        cause,
      });
    }
    const { done, value } = chunk;
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new EinmalError('Client.BodyTooLarge');
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * The raw path and query of a request exactly as sent (still percent-encoded, dot segments not
 * resolved): the URL parser would silently resolve `..`, and a signature covers the raw form.
 */
export function rawTarget(c: Context): { path: string; query: string } {
  const incoming = (c.env as { incoming?: { url?: string } } | undefined)?.incoming;
  let target = incoming?.url;
  if (target === undefined) {
    const url = c.req.url;
    const start = url.indexOf('/', url.indexOf('//') + 2);
    target = start === -1 ? '/' : url.slice(start);
  }
  const q = target.indexOf('?');
  return q === -1 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}
