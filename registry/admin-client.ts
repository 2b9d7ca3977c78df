import { Agent, request } from 'undici';
import { EinmalError, isErrorCode } from '../core/index.ts';

/** TLS material of an operator: client certificate and key, and the CA to trust the registry by. */
export interface OperatorCredentials {
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: string;
}

/** A client of the registry admin API over mutual TLS. */
export interface RegistryAdminClient {
  list(kind: string): Promise<unknown[]>;
  add(kind: string, body: unknown): Promise<unknown>;
  remove(kind: string, query: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/** An `EinmalError` from an X-Road error body, so the CLI prints the registry's code and message. */
async function refusal(status: number, body: { text(): Promise<string> }): Promise<EinmalError> {
  const text = await body.text();
  try {
    const parsed = JSON.parse(text) as { type?: unknown; message?: unknown };
    if (typeof parsed.type === 'string' && isErrorCode(parsed.type)) {
      return new EinmalError(parsed.type, { message: String(parsed.message ?? parsed.type) });
    }
  } catch {
    // Not an X-Road error body; reported below.
  }
  return new EinmalError('Server.Unavailable', { message: `The registry answered HTTP ${status}` });
}

/**
 * @example
 * const client = createRegistryAdminClient({ url: 'https://registry.example:4401', credentials });
 * await client.add('members', { id: 'DEMO/GOV/munich', name: 'Landeshauptstadt München' });
 */
export function createRegistryAdminClient(options: {
  url: string;
  credentials: OperatorCredentials;
}): RegistryAdminClient {
  const { credentials } = options;
  const dispatcher = new Agent({
    connect: { ca: credentials.caPem, cert: credentials.certPem, key: credentials.keyPem },
  });
  const call = async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) => {
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(new URL(path, options.url), {
        dispatcher,
        method,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
    } catch (cause) {
      throw new EinmalError('Server.Unavailable', {
        message: `Cannot reach the registry admin API at ${options.url}: ${(cause as Error).message}`,
        cause,
      });
    }
    if (response.statusCode >= 400) throw await refusal(response.statusCode, response.body);
    if (response.statusCode === 204) {
      await response.body.dump();
      return undefined;
    }
    return response.body.json();
  };
  return {
    list: async (kind) => (await call('GET', `/admin/${kind}`)) as unknown[],
    add: (kind, body) => call('POST', `/admin/${kind}`, body),
    remove: async (kind, query) => {
      await call('DELETE', `/admin/${kind}?${new URLSearchParams(query)}`);
    },
    close: () => dispatcher.close(),
  };
}
