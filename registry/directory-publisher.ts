import type { Kysely } from 'kysely';
import type { Clock, Logger } from '../core/index.ts';
import { type DirectorySigner, signDirectory } from '../protocol/index.ts';
import type { Directory } from '../schemas/index.ts';
import { type RegistryDb, readDirectoryVersion, recordChange } from './db/index.ts';
import { buildDirectory, type DirectorySettings } from './directory-builder.ts';

/** One signed directory, as served on `GET /directory`. */
export interface PublishedDirectory {
  readonly jws: string;
  readonly version: number;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly directory: Directory;
}

/** Keeps a freshly signed directory at hand. */
export interface DirectoryPublisher {
  /** The directory served now, if one was ever signed. */
  current(): PublishedDirectory | undefined;
  /**
   * Signs a new directory when the registry content changed or the served one is a third of its
   * lifetime old; otherwise returns the served one. Calls are serialized.
   */
  publish(): Promise<PublishedDirectory>;
  /** How many directories were signed since start. */
  readonly signedCount: () => number;
}

export interface DirectoryPublisherDeps {
  readonly db: Kysely<RegistryDb>;
  readonly signer: DirectorySigner;
  readonly clock: Clock;
  readonly log: Logger;
  readonly settings: DirectorySettings;
}

/**
 * Creates the publisher. A re-signed directory without content changes still gets a new version,
 * so its `ETag` changes and a polling gateway fetches the later `expiresAt` instead of keeping an
 * expiring copy on `304`.
 *
 * @example
 * const publisher = createDirectoryPublisher({ db, signer, clock: systemClock, log, settings });
 * const { jws, version } = await publisher.publish();
 */
export function createDirectoryPublisher(deps: DirectoryPublisherDeps): DirectoryPublisher {
  const resignAfterMs = (deps.settings.ttlSeconds * 1000) / 3;
  let served: PublishedDirectory | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let signed = 0;

  async function refresh(): Promise<PublishedDirectory> {
    const now = new Date(deps.clock());
    const version = await readDirectoryVersion(deps.db);
    if (served && served.version === version) {
      if (now.getTime() - served.issuedAt.getTime() < resignAfterMs) return served;
      await recordChange(deps.db, async () => {});
    }
    const directory = await buildDirectory(deps.db, deps.settings, now);
    const jws = await signDirectory(directory, deps.signer);
    served = {
      jws,
      version: directory.version,
      issuedAt: new Date(directory.issuedAt),
      expiresAt: new Date(directory.expiresAt),
      directory,
    };
    signed += 1;
    deps.log.info({ version: served.version, expiresAt: directory.expiresAt }, 'directory signed');
    return served;
  }

  return {
    current: () => served,
    publish() {
      const next = queue.then(refresh, refresh);
      queue = next.catch(() => {});
      return next;
    },
    signedCount: () => signed,
  };
}
