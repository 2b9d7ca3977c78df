import { Agent, fetch } from 'undici';
import type { DirectoryResponse } from './directory-client.ts';

/** A fetch to the registry: `GET /directory` for the directory client, `POST` for registration. */
export type RegistryRequest = (
  url: string,
  init: { method?: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
) => Promise<DirectoryResponse>;

/** A fetch for the registry's HTTPS endpoints and the pool behind it. */
export interface RegistryFetch {
  readonly fetch: RegistryRequest;
  close(): Promise<void>;
}

/**
 * A fetch that trusts exactly the federation's CAs for the registry's TLS certificate (not the
 * system store), with a keep-alive pool. A gateway also presents its authentication certificate
 * (`client`), by which the registry's witness knows a checkpoint comes from the gateway itself.
 *
 * @param options.ca PEM of the federation root (and issuing CAs when the registry sends no chain)
 * @example
 * const registry = createRegistryFetch({ ca: await readFile('pki/root-ca.pem', 'utf8') });
 * const client = createDirectoryClient({ ..., fetch: registry.fetch });
 */
export function createRegistryFetch(options: {
  ca: string | readonly string[];
  client?: { readonly cert: string; readonly key: string } | undefined;
}): RegistryFetch {
  const ca = typeof options.ca === 'string' ? options.ca : [...options.ca];
  const connect = options.client ? { ca, cert: options.client.cert, key: options.client.key } : { ca };
  const dispatcher = new Agent({ connect, keepAliveTimeout: 30_000 });
  return {
    fetch: (url, init) => fetch(url, { ...init, dispatcher }),
    close: () => dispatcher.close(),
  };
}
