import type { X509Certificate } from '@peculiar/x509';
import type { Logger } from 'pino';
import { EinmalError, type ErrorCode, isEinmalError } from '../core/errors/index.ts';
import { type Directory, type DirectoryIndex, indexDirectory } from '../schemas/index.ts';
import { readCachedDirectory, writeCachedDirectory } from './directory-cache.ts';
import { verifyDirectory } from './directory-jws.ts';

/** The part of a fetch response the client reads; global fetch and undici's fetch both fit. */
export interface DirectoryResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** How the client reaches the registry, e.g. undici's fetch with the federation CA trusted. */
export type DirectoryFetch = (
  url: string,
  init: { headers: Record<string, string>; signal: AbortSignal },
) => Promise<DirectoryResponse>;

/** How current the held directory is; `/readyz` reports it. */
export interface DirectoryFreshness {
  readonly version: number | undefined;
  readonly issuedAt: string | undefined;
  readonly expiresAt: string | undefined;
  /** A directory is held and `expiresAt` has not passed. */
  readonly fresh: boolean;
  /** The last failed refresh, cleared by the next successful one. */
  readonly lastError?: { readonly code: ErrorCode; readonly message: string; readonly at: string };
}

/** Which side of an exchange asks; picks the X-Road error type of an outdated directory. */
export type ExchangeSide = 'consumer' | 'provider';

export interface DirectoryClient {
  /** Loads and re-verifies the cached directory, fetches once, then keeps polling. */
  start(): Promise<void>;
  stop(): void;
  /** Fetches now (coalesced with a fetch already running); failures land in `freshness().lastError`. */
  refresh(): Promise<void>;
  /** The held directory, fresh or not; gate exchanges with `ensureFresh`. */
  current(): Directory | undefined;
  /** Lookups over the held directory. */
  index(): DirectoryIndex | undefined;
  freshness(): DirectoryFreshness;
  /**
   * The held directory if it is fresh; otherwise throws `Server.ClientProxy.OutdatedDirectory`
   * (consumer) or `Server.ServerProxy.OutdatedDirectory` (provider), as X-Road does once its global
   * configuration expires.
   */
  ensureFresh(side: ExchangeSide): Directory;
  /** Called with each directory of a new version; returns a function that unsubscribes. */
  onChange(listener: (directory: Directory, index: DirectoryIndex) => void): () => void;
}

export interface DirectoryClientOptions {
  /** The registry's `GET /directory` URL. */
  readonly url: string;
  /** The configuration anchor (federation root certificate). */
  readonly anchor: X509Certificate;
  /** Where the last good directory JWS is kept across restarts. */
  readonly cacheFile: string;
  readonly fetch: DirectoryFetch;
  /** Milliseconds since the epoch (core's `Clock`). */
  readonly clock: () => number;
  readonly log: Logger;
  /** Poll interval while the directory is fresh (default 60 s). */
  readonly pollIntervalMs?: number;
  /**
   * Poll interval while no fresh directory is held (default 2 s), so recovery is quick; also how
   * often the client checks whether a regular poll is due.
   */
  readonly stalePollIntervalMs?: number;
  /** Timeout of one fetch (default 10 s). */
  readonly fetchTimeoutMs?: number;
}

const MAX_DIRECTORY_BYTES = 16 * 1024 * 1024;

interface Held {
  readonly jws: string;
  readonly directory: Directory;
  readonly index: DirectoryIndex;
  readonly etag: string | undefined;
}

/**
 * The gateway's view of the federation directory (docs/protocol.md §9): polls the registry with ETags,
 * verifies every document against the configuration anchor, never accepts an older version, keeps
 * the last good one on disk, and tells exchanges when it is outdated.
 *
 * @example
 * const directory = createDirectoryClient({ url, anchor, cacheFile, fetch, clock: Date.now, log });
 * await directory.start();
 * const current = directory.ensureFresh('consumer');
 */
export function createDirectoryClient(options: DirectoryClientOptions): DirectoryClient {
  const { url, anchor, cacheFile, fetch, clock, log } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 60_000;
  const stalePollIntervalMs = Math.min(options.stalePollIntervalMs ?? 2_000, pollIntervalMs);
  const fetchTimeoutMs = options.fetchTimeoutMs ?? 10_000;
  const listeners = new Set<(directory: Directory, index: DirectoryIndex) => void>();

  let held: Held | undefined;
  let lastError: DirectoryFreshness['lastError'];
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;

  const isFresh = (now = new Date(clock())): boolean =>
    held !== undefined && now.getTime() <= Date.parse(held.directory.expiresAt);

  /** The same version re-signed later extends its life; an earlier signature of it would shorten it. */
  function replacesHeld(directory: Directory): boolean {
    if (!held || directory.version !== held.directory.version) return true;
    return Date.parse(directory.expiresAt) >= Date.parse(held.directory.expiresAt);
  }

  function accept(jws: string, directory: Directory, etag: string | undefined): void {
    const previous = held;
    held = { jws, directory, index: indexDirectory(directory), etag };
    if (previous?.directory.version === directory.version) return;
    log.info(
      { version: directory.version, expiresAt: directory.expiresAt, previous: previous?.directory.version },
      'directory accepted',
    );
    for (const listener of listeners) {
      try {
        listener(directory, held.index);
      } catch (error) {
        log.error({ err: error }, 'directory change listener failed');
      }
    }
  }

  function fail(error: unknown, what: string): void {
    const einmal = isEinmalError(error)
      ? error
      : new EinmalError('Directory.Unavailable', {
          message: `The registry could not be reached: ${(error as Error)?.message ?? String(error)}`,
          cause: error,
        });
    lastError = { code: einmal.code, message: einmal.message, at: new Date(clock()).toISOString() };
    log.warn({ code: einmal.code, detail: einmal.detail, url }, `${what}: ${einmal.message}`);
  }

  async function loadCache(): Promise<void> {
    let jws: string | undefined;
    try {
      jws = await readCachedDirectory(cacheFile);
    } catch (error) {
      fail(error, 'directory cache unreadable');
      return;
    }
    if (!jws) return;
    try {
      const directory = await verifyDirectory(jws, { anchor, held: held?.directory, now: new Date(clock()) });
      if (replacesHeld(directory)) accept(jws, directory, undefined);
    } catch (error) {
      fail(error, 'cached directory refused');
    }
  }

  /**
   * A conditional request is only worth it while the held signature has most of its life left: the
   * registry re-signs an unchanged version, so an ETag naming the version alone would hide that.
   */
  function conditionalHeaders(): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/jose' };
    if (!held?.etag) return headers;
    const issued = Date.parse(held.directory.issuedAt);
    const expires = Date.parse(held.directory.expiresAt);
    if (clock() < issued + (expires - issued) / 2) headers['if-none-match'] = held.etag;
    return headers;
  }

  async function fetchOnce(): Promise<void> {
    lastAttemptAt = clock();
    let response: DirectoryResponse;
    let body: string;
    try {
      response = await fetch(url, {
        headers: conditionalHeaders(),
        signal: AbortSignal.timeout(fetchTimeoutMs),
      });
      if (response.status === 304 && held) {
        lastError = undefined;
        return;
      }
      if (response.status !== 200) {
        throw new EinmalError('Directory.Unavailable', {
          message: `The registry answered ${response.status}`,
        });
      }
      const length = Number(response.headers.get('content-length') ?? 0);
      if (length > MAX_DIRECTORY_BYTES)
        throw new EinmalError('Directory.Malformed', { message: 'Too large' });
      body = (await response.text()).trim();
      if (body.length > MAX_DIRECTORY_BYTES)
        throw new EinmalError('Directory.Malformed', { message: 'Too large' });
    } catch (error) {
      fail(error, 'directory fetch failed');
      return;
    }
    if (held && body === held.jws) {
      lastError = undefined;
      return;
    }
    let directory: Directory;
    try {
      directory = await verifyDirectory(body, { anchor, held: held?.directory, now: new Date(clock()) });
    } catch (error) {
      fail(error, 'fetched directory refused');
      return;
    }
    lastError = undefined;
    if (!replacesHeld(directory)) return;
    // On disk first, so a crash right after accepting never restarts with an older directory.
    try {
      await writeCachedDirectory(cacheFile, body);
    } catch (error) {
      log.error({ err: error, cacheFile }, 'directory cache could not be written');
    }
    accept(body, directory, response.headers.get('etag') ?? undefined);
  }

  function refresh(): Promise<void> {
    inFlight ??= fetchOnce().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  /**
   * A poll is due once `pollIntervalMs` has passed on the injected clock, or at every tick while no
   * fresh directory is held. Ticking on a short real timer and asking the clock keeps this right when
   * the clock jumps (a suspended VM, a test moving time).
   */
  function isPollDue(): boolean {
    return !isFresh() || clock() - lastAttemptAt >= pollIntervalMs;
  }

  function schedule(): void {
    if (!running) return;
    timer = setTimeout(() => {
      void (isPollDue() ? refresh() : Promise.resolve()).finally(schedule);
    }, stalePollIntervalMs);
    timer.unref();
  }

  return {
    async start() {
      if (running) return;
      running = true;
      await loadCache();
      await refresh();
      schedule();
    },
    stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    refresh,
    current: () => held?.directory,
    index: () => held?.index,
    freshness() {
      const directory = held?.directory;
      return {
        version: directory?.version,
        issuedAt: directory?.issuedAt,
        expiresAt: directory?.expiresAt,
        fresh: isFresh(),
        ...(lastError ? { lastError } : {}),
      };
    },
    ensureFresh(side) {
      if (!held || !isFresh()) {
        throw new EinmalError(
          side === 'consumer'
            ? 'Server.ClientProxy.OutdatedDirectory'
            : 'Server.ServerProxy.OutdatedDirectory',
          { detail: { version: held?.directory.version, expiresAt: held?.directory.expiresAt } },
        );
      }
      return held.directory;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
