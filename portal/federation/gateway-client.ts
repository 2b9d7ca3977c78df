import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';

/** Why a gateway gave no usable answer. */
export type GatewayFailure =
  | { readonly kind: 'unreachable' }
  /** The gateway answered with an error; `type` is its X-Road error type when it sent one. */
  | { readonly kind: 'refused'; readonly status: number; readonly type: string | null }
  | { readonly kind: 'invalid' };

/** A gateway's JSON answer, or why there is none. */
export type GatewayResult<T> =
  | { readonly ok: true; readonly body: T }
  | { readonly ok: false; readonly failure: GatewayFailure };

export interface GatewayClient {
  /**
   * GETs JSON from a gateway's public listener with the person's own access token; without a
   * token (e.g. from the registry's witness), nothing identifies the person.
   */
  getJson(url: string, bearer: string | null): Promise<GatewayResult<unknown>>;
  /** GETs a download (e.g. an export bundle) as a stream, without the timeout on the body. */
  download(url: string, bearer: string): Promise<GatewayResult<{ body: Readable; type: string | null }>>;
  /** Trusts these CA certificates (PEM) for the gateways' TLS from now on (after a directory change). */
  trust(cas: readonly string[]): void;
  close(): Promise<void>;
}

/** Largest JSON answer read from a gateway; a page of 200 records with proofs is well under 2 MiB. */
const MAX_JSON_BYTES = 32 * 1024 * 1024;

/**
 * HTTPS to the gateways' public listeners, trusting exactly the federation's CAs from the signed
 * directory, with a keep-alive pool and a timeout per answer, so one slow or absent gateway costs
 * at most `timeoutMs` and never fails the others.
 *
 * @example
 * const gateways = createGatewayClient({ timeoutMs: 4000, cas: view.tlsCas });
 * const answer = await gateways.getJson(`${gateway.publicAddress}/citizen/v1/records`, token);
 */
export function createGatewayClient(options: { timeoutMs: number; cas: readonly string[] }): GatewayClient {
  let fingerprint = '';
  let agent: Agent | undefined;

  function trust(cas: readonly string[]): void {
    const next = cas.join('\n');
    if (next === fingerprint && agent) return;
    // Requests still running on the old pool finish; it is closed a minute later.
    const old = agent;
    if (old) setTimeout(() => void old.close(), 60_000).unref();
    fingerprint = next;
    agent = new Agent({
      connect: { ca: [...cas], timeout: options.timeoutMs },
      keepAliveTimeout: 30_000,
      headersTimeout: options.timeoutMs,
    });
  }
  trust(options.cas);

  async function send(url: string, bearer: string | null, withTimeout: boolean) {
    return request(url, {
      dispatcher: agent,
      headers: { accept: 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      ...(withTimeout
        ? { signal: AbortSignal.timeout(options.timeoutMs), bodyTimeout: options.timeoutMs }
        : {}),
    });
  }

  async function refusal(response: Awaited<ReturnType<typeof send>>): Promise<GatewayFailure> {
    let type: string | null = null;
    try {
      const text = await readLimited(response.body, 64 * 1024);
      const parsed = JSON.parse(text) as { type?: unknown };
      if (typeof parsed.type === 'string' && /^[A-Za-z.]{1,100}$/.test(parsed.type)) type = parsed.type;
    } catch {
      // An error body that is not X-Road's shape still says the gateway refused.
    }
    return { kind: 'refused', status: response.statusCode, type };
  }

  return {
    async getJson(url, bearer) {
      let response: Awaited<ReturnType<typeof send>>;
      try {
        response = await send(url, bearer, true);
      } catch {
        return { ok: false, failure: { kind: 'unreachable' } };
      }
      if (response.statusCode !== 200) return { ok: false, failure: await refusal(response) };
      try {
        return { ok: true, body: JSON.parse(await readLimited(response.body, MAX_JSON_BYTES)) };
      } catch (error) {
        const aborted = ['AbortError', 'TimeoutError'].includes((error as { name?: string }).name ?? '');
        return { ok: false, failure: aborted ? { kind: 'unreachable' } : { kind: 'invalid' } };
      }
    },
    async download(url, bearer) {
      let response: Awaited<ReturnType<typeof send>>;
      try {
        response = await send(url, bearer, false);
      } catch {
        return { ok: false, failure: { kind: 'unreachable' } };
      }
      if (response.statusCode !== 200) return { ok: false, failure: await refusal(response) };
      const type = response.headers['content-type'];
      return { ok: true, body: { body: response.body, type: typeof type === 'string' ? type : null } };
    },
    trust,
    async close() {
      await agent?.close();
    },
  };
}

/** The body as text, refused beyond `max` bytes. */
async function readLimited(body: AsyncIterable<Buffer>, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) throw new Error('answer too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
