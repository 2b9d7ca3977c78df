import { connect as connectTcp } from 'node:net';
import { connect as connectTls } from 'node:tls';

/** What came back for a raw request: the final response (after any `100 Continue`), parsed. */
export interface RawAnswer {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Every byte the server sent, as latin1 text. */
  readonly raw: string;
}

/**
 * Sends bytes exactly as given to an HTTP or HTTPS listener and reads until the server closes the
 * connection: for requests no HTTP client library would send (broken framing, `Expect`, oversized
 * header blocks). The request should carry `Connection: close` when it is well formed.
 *
 * @example
 * const answer = await sendRaw('http://127.0.0.1:4510', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n');
 */
export function sendRaw(
  origin: string,
  request: string | Buffer,
  tls?: { readonly cert?: string; readonly key?: string; readonly ca: string },
): Promise<RawAnswer> {
  const url = new URL(origin);
  const port = Number(url.port);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket =
      url.protocol === 'https:'
        ? connectTls({ host: url.hostname, port, servername: 'localhost', ...tls })
        : connectTcp({ host: url.hostname, port });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      // Skip interim responses (`HTTP/1.1 100 Continue`).
      const final = raw.replace(/^(?:HTTP\/1\.1 1\d\d [^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n)+/, '');
      const end = final.indexOf('\r\n\r\n');
      if (end === -1) {
        reject(new Error(`no HTTP response: ${JSON.stringify(raw.slice(0, 200))}`));
        return;
      }
      const [statusLine, ...lines] = final.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let body: Buffer = Buffer.from(final.slice(end + 4), 'latin1');
      if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
      resolve({ status: Number(statusLine?.split(' ')[1]), headers, body: body.toString('utf8'), raw });
    });
  });
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd === -1) break;
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
