import type { X509Certificate } from '@peculiar/x509';
import { certificateDer, parseCertificateDer, publicKeyObject, validateChain } from '../certs/index.ts';
import { EinmalError } from '../core/errors/index.ts';
import { type Directory, directorySchema } from '../schemas/index.ts';
import {
  parseJsonObject,
  readX5c,
  type SigningKey,
  type SplitJws,
  signCompactJws,
  splitCompactJws,
  verifyJwsSignature,
} from './codec/compact-jws.ts';

/** The `typ` header of a signed directory. */
export const DIRECTORY_JWS_TYPE = 'einmal-directory+jws';

/** A directory far larger than this is not something a registry publishes. */
const MAX_DIRECTORY_JWS_LENGTH = 16 * 1024 * 1024;
const MAX_CHAIN_LENGTH = 8;

/** What signs the directory: the registry's directory-signing key and its certificate chain. */
export interface DirectorySigner {
  readonly privateKey: SigningKey;
  /** The directory-signing certificate first, then its intermediates (not the anchor). */
  readonly chain: readonly X509Certificate[];
}

/**
 * Signs a directory as a compact JWS (docs/protocol.md §9.1): header `{alg: ES256, typ, x5c}`, payload the
 * directory JSON. Gateways verify it against their configuration anchor with `verifyDirectory`.
 *
 * @example
 * const jws = await signDirectory(directory, { privateKey, chain: [directoryCert, issuingCa] });
 */
export async function signDirectory(directory: Directory, signer: DirectorySigner): Promise<string> {
  if (signer.chain.length === 0) throw new TypeError('signDirectory needs the signing certificate');
  const x5c = signer.chain.map((cert) => Buffer.from(certificateDer(cert)).toString('base64'));
  return signCompactJws({ alg: 'ES256', typ: DIRECTORY_JWS_TYPE, x5c }, directory, signer.privateKey);
}

/** What a gateway trusts and holds when it checks a fetched or cached directory. */
export interface DirectoryVerification {
  /** The configuration anchor: the federation root certificate given at install. */
  readonly anchor: X509Certificate;
  /** The directory held so far; a lower version is a rollback. */
  readonly held?: { readonly version: number } | undefined;
  readonly now: Date;
}

/**
 * Verifies a signed directory and returns it. Refuses, each with its own code:
 * `Directory.Malformed` (not a compact JWS of a valid directory), `Directory.UntrustedSigner`
 * (the x5c chain does not end at the anchor, or the signer is not a directory-signing certificate),
 * `Directory.InvalidSignature`, `Directory.VersionRollback` (older than `held`) and
 * `Directory.Expired` (`now` past `expiresAt`).
 *
 * @example
 * const directory = await verifyDirectory(jws, { anchor: rootCa, held: current, now: new Date() });
 */
export async function verifyDirectory(jws: string, verification: DirectoryVerification): Promise<Directory> {
  const split = splitCompactJws(jws, MAX_DIRECTORY_JWS_LENGTH);
  if (!split) {
    throw new EinmalError('Directory.Malformed', { message: 'The directory is not a compact JWS' });
  }
  const [signer, ...intermediates] = readSignerChain(split);
  try {
    await validateChain({
      certificate: signer!,
      intermediates,
      anchors: [verification.anchor],
      at: verification.now,
      usage: 'directory',
    });
  } catch (cause) {
    throw new EinmalError('Directory.UntrustedSigner', { cause, detail: describeRefusal(cause) });
  }

  if (!verifyJwsSignature(split, publicKeyObject(signer!))) {
    throw new EinmalError('Directory.InvalidSignature');
  }

  const directory = parseDirectoryPayload(split.payloadBytes);
  if (verification.held && directory.version < verification.held.version) {
    throw new EinmalError('Directory.VersionRollback', {
      detail: { received: directory.version, held: verification.held.version },
    });
  }
  if (verification.now.getTime() > Date.parse(directory.expiresAt)) {
    throw new EinmalError('Directory.Expired', {
      detail: { version: directory.version, expiresAt: directory.expiresAt },
    });
  }
  return directory;
}

/** The x5c chain of a directory JWS, signer first; anything structurally off is Malformed. */
function readSignerChain({ header }: SplitJws): X509Certificate[] {
  if (header.alg !== 'ES256' || header.typ !== DIRECTORY_JWS_TYPE) {
    throw new EinmalError('Directory.Malformed', {
      message: 'The directory JWS has the wrong type or algorithm',
      detail: { alg: header.alg, typ: header.typ },
    });
  }
  if (header.crit !== undefined) {
    throw new EinmalError('Directory.Malformed', {
      message: 'The directory JWS has unknown critical headers',
    });
  }
  const x5c = readX5c(header.x5c, MAX_CHAIN_LENGTH);
  if (!x5c) {
    throw new EinmalError('Directory.Malformed', {
      message: 'The directory JWS carries no usable x5c chain',
    });
  }
  try {
    return x5c.map((entry) => parseCertificateDer(Buffer.from(entry, 'base64')));
  } catch (cause) {
    throw new EinmalError('Directory.Malformed', { message: 'The directory x5c chain is unreadable', cause });
  }
}

function parseDirectoryPayload(payload: Uint8Array): Directory {
  const json = parseJsonObject(payload);
  if (json === undefined) {
    throw new EinmalError('Directory.Malformed', { message: 'The directory payload is not JSON' });
  }
  const parsed = directorySchema.safeParse(json);
  if (!parsed.success) {
    throw new EinmalError('Directory.Malformed', {
      message: 'The directory does not match the schema',
      detail: parsed.error.issues.slice(0, 10),
    });
  }
  return parsed.data;
}

function describeRefusal(cause: unknown): unknown {
  return cause instanceof EinmalError ? { code: cause.code, message: cause.message } : undefined;
}
