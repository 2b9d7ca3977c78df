import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCertificateBundle } from '../certs/index.ts';
import { EinmalError } from '../core/index.ts';
import type { FederationFolder as GatewayFederationFolder } from '../gateway/index.ts';
import type {
  OperatorCredentials,
  RegistryCredentials,
  FederationFolder as RegistryFederationFolder,
} from '../registry/index.ts';
import { readFederationManifest } from './federation-files.ts';

/** A certificate file with the issuing CA appended when it holds only the leaf. */
function withIssuer(pem: string, issuingPem: string): string {
  return parseCertificateBundle(pem).length > 1 ? pem : `${pem.trimEnd()}\n${issuingPem}`;
}

/**
 * The registry's credentials from a federation folder written by `einmal dev init`: its TLS,
 * directory-signing and witness keys, the root as configuration anchor, and the CAs that issue
 * operators.
 *
 * @example
 * const credentials = await registryCredentialsFromFederation('./federation');
 */
export async function registryCredentialsFromFederation(dir: string): Promise<RegistryCredentials> {
  const manifest = await readFederationManifest(dir);
  const read = (path: string) => readFile(join(dir, path), 'utf8');
  const [rootPem, issuingPem] = await Promise.all([read(manifest.rootCa), read(manifest.issuingCa)]);
  const { tls, directorySigning, witness } = manifest.registry;
  return {
    tlsCertPem: withIssuer(await read(tls.cert), issuingPem),
    tlsKeyPem: await read(tls.key),
    directoryCertPem: withIssuer(await read(directorySigning.cert), issuingPem),
    directoryKeyPem: await read(directorySigning.key),
    witness: {
      certPem: withIssuer(await read(witness.cert), issuingPem),
      keyPem: await read(witness.key),
    },
    anchorPem: rootPem,
    adminCaPem: `${issuingPem.trimEnd()}\n${rootPem}`,
    issuingCaDir: join(dir, manifest.caStores.issuing),
  };
}

/**
 * Reads operator credentials from a federation folder written by `einmal dev init`.
 *
 * @example
 * const credentials = await operatorCredentialsFromFederation('./federation');
 */
export async function operatorCredentialsFromFederation(dir: string): Promise<OperatorCredentials> {
  const manifest = await readFederationManifest(dir);
  const read = (path: string) => readFile(join(dir, path), 'utf8');
  return {
    certPem: await read(manifest.operator.cert),
    keyPem: await read(manifest.operator.key),
    caPem: await read(manifest.rootCa),
  };
}

/**
 * What the `--federation-dir` / `--federation` options of `einmal gateway` and `einmal registry`
 * read, handed to those command groups by the CLI's composition root (cli/groups.ts), so that the
 * gateway and the registry themselves never read a development folder.
 */
export const federationFolder: GatewayFederationFolder & RegistryFederationFolder = {
  async memberSigning(dir, member, gateway) {
    const manifest = await readFederationManifest(dir);
    const entry = manifest.members.find((candidate) => candidate.id === member);
    if (!entry) {
      throw new EinmalError('Cli.Usage', { message: `${member} is not a member of this federation` });
    }
    const read = (path: string) => readFile(join(dir, path), 'utf8');
    return {
      keyPem: await read(entry.signing.key),
      chainPem: (await read(entry.signing.cert)) + (await read(manifest.issuingCa)),
      gatewayPort: entry.gateway.id === gateway ? entry.gateway.port : undefined,
    };
  },
  async rootCaPem(dir) {
    const manifest = await readFederationManifest(dir);
    return readFile(join(dir, manifest.rootCa), 'utf8');
  },
  operatorCredentials: operatorCredentialsFromFederation,
};
