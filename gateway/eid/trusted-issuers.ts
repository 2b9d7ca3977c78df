import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type FetchImplementation,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { EinmalError } from '../../core/index.ts';
import type { LevelOfAssurance } from '../../schemas/index.ts';

/**
 * An eID issuer the federation trusts, as the directory lists it (docs/protocol.md §9.1, §4.1): its `iss`,
 * where its signing keys are (a JWKS URI, or the JWKS inline) and the `acr` values it issues,
 * mapped to eIDAS levels. The directory's `DirectoryEidIssuer` fits this narrower, read-only shape.
 */
export interface TrustedEidIssuer {
  readonly issuer: string;
  readonly jwksUri?: string | undefined;
  readonly jwks?: { readonly keys: readonly Record<string, unknown>[] } | undefined;
  readonly acr: Readonly<Record<string, LevelOfAssurance>>;
}

/** A trusted issuer with the function that finds the key for a token's header. */
export interface ResolvedIssuer {
  readonly config: TrustedEidIssuer;
  readonly key: JWTVerifyGetKey;
}

/** The issuers in force, looked up by `iss`, replaceable when the directory changes. */
export interface TrustedIssuers {
  find(iss: string): ResolvedIssuer | undefined;
  update(issuers: readonly TrustedEidIssuer[]): void;
}

/**
 * Builds the key resolvers of the trusted issuers. A remote JWKS is fetched on first use, cached,
 * and fetched again when a token names a key id it does not hold (jose's `createRemoteJWKSet`);
 * the cache is kept per JWKS URI across `update`, so a directory refresh does not refetch keys.
 * A JWKS that cannot be fetched is `Server.ServerProxy.TokenIssuerUnavailable`, not the
 * token's fault.
 */
export function createTrustedIssuers(
  issuers: readonly TrustedEidIssuer[],
  fetch?: FetchImplementation,
): TrustedIssuers {
  const remoteSets = new Map<string, JWTVerifyGetKey>();
  let byIssuer = new Map<string, ResolvedIssuer>();

  const remoteKey = (uri: string): JWTVerifyGetKey => {
    const cached = remoteSets.get(uri);
    if (cached) return cached;
    const set = createRemoteJWKSet(new URL(uri), fetch ? { [customFetch]: fetch } : {});
    const resolve: JWTVerifyGetKey = async (header, token) => {
      try {
        return await set(header, token);
      } catch (error) {
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
          throw error;
        }
        throw new EinmalError('Server.ServerProxy.TokenIssuerUnavailable', { cause: error, detail: { uri } });
      }
    };
    remoteSets.set(uri, resolve);
    return resolve;
  };

  const resolveIssuer = (config: TrustedEidIssuer): ResolvedIssuer => {
    if (config.jwks) {
      return { config, key: createLocalJWKSet(config.jwks as unknown as JSONWebKeySet) };
    }
    if (config.jwksUri) return { config, key: remoteKey(config.jwksUri) };
    throw new TypeError(`eID issuer ${config.issuer} has neither jwksUri nor jwks`);
  };

  const update = (next: readonly TrustedEidIssuer[]): void => {
    byIssuer = new Map(next.map((config) => [config.issuer, resolveIssuer(config)]));
    const inUse = new Set(next.flatMap((config) => (config.jwks || !config.jwksUri ? [] : [config.jwksUri])));
    for (const uri of remoteSets.keys()) if (!inUse.has(uri)) remoteSets.delete(uri);
  };

  update(issuers);
  return { find: (iss) => byIssuer.get(iss), update };
}
