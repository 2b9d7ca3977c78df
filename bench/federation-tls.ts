import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FederationManifest, writeDevelopmentFederation } from '../dev/federation-files.ts';
import type { TlsCredentials } from './mtls-forwarder.ts';

/** A development federation written for a benchmark, and the TLS credentials read from it. */
export interface FederationTls {
  readonly manifest: FederationManifest;
  /** The issuing and root CA certificates, one PEM bundle. */
  readonly caBundlePem: string;
  /** A certificate and key of the federation (paths relative to its folder), with the CA bundle. */
  credentials(pair: { readonly cert: string; readonly key: string }): Promise<TlsCredentials>;
}

/**
 * Writes a development federation into `dir` (`writeDevelopmentFederation`) and reads its TLS
 * credentials for the benchmark's processes.
 *
 * @example
 * const { manifest, credentials } = await writeFederationTls(dir);
 * const informationSystem = await credentials(manifest.members[0]!.subsystems[0]!.client);
 */
export async function writeFederationTls(dir: string): Promise<FederationTls> {
  const manifest = await writeDevelopmentFederation({ dir });
  const read = (relative: string) => readFile(join(dir, relative), 'utf8');
  const caBundlePem = `${(await read(manifest.issuingCa)).trim()}\n${(await read(manifest.rootCa)).trim()}\n`;
  return {
    manifest,
    caBundlePem,
    credentials: async (pair) => ({
      cert: await read(pair.cert),
      key: await read(pair.key),
      ca: caBundlePem,
    }),
  };
}
