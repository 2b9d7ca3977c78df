import { Agent, request } from 'undici';
import { parseCertificatePem } from '../../certs/index.ts';
import { EinmalError, type Logger } from '../../core/index.ts';
import { verifyDirectory } from '../../protocol/index.ts';
import type { Directory } from '../../schemas/index.ts';
import { AUDIT_SCOPES, type ScopeSource, scopesOfDirectory } from './eid-scopes.ts';

export interface DirectoryScopesOptions {
  /** The registry's public URL, e.g. `https://127.0.0.1:4400`. */
  readonly registryUrl: string;
  /** The configuration anchor (federation root CA, PEM): the directory must verify against it. */
  readonly anchorPem: string;
  /** How long one fetched directory is used before asking again (default 30 s). */
  readonly refreshMs?: number;
  readonly log: Logger;
}

/**
 * The scopes of the signed directory's services, for the development eID provider: fetched from the
 * registry and verified against the anchor, refreshed after `refreshMs`, the last good directory kept
 * while the registry is unreachable (and only the audit scopes before the first one arrives).
 *
 * @example const scopes = directoryScopes({ registryUrl, anchorPem, log }); await scopes();
 */
export function directoryScopes(options: DirectoryScopesOptions): ScopeSource & { close(): Promise<void> } {
  const anchor = parseCertificatePem(options.anchorPem);
  const dispatcher = new Agent({ connect: { ca: options.anchorPem } });
  let held: { directory: Directory; at: number } | undefined;
  const fetchDirectory = async (): Promise<Directory> => {
    const response = await request(new URL('/directory', options.registryUrl), { dispatcher });
    const jws = await response.body.text();
    if (response.statusCode !== 200) {
      throw new EinmalError('Directory.Unavailable', {
        message: `The registry answered HTTP ${response.statusCode}`,
      });
    }
    return verifyDirectory(jws, { anchor, now: new Date(), ...(held ? { held: held.directory } : {}) });
  };
  const source = async () => {
    if (!held || Date.now() - held.at > (options.refreshMs ?? 30_000)) {
      try {
        held = { directory: await fetchDirectory(), at: Date.now() };
      } catch (error) {
        options.log.warn({ err: error }, 'directory unavailable; offering the scopes last known');
      }
    }
    return held ? scopesOfDirectory(held.directory) : AUDIT_SCOPES;
  };
  return Object.assign(source, { close: () => dispatcher.close() });
}
