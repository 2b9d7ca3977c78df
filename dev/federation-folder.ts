import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCertificateBundle } from '../certs/index.ts';
import type { OperatorCredentials, RegistryCredentials } from '../registry/index.ts';
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
