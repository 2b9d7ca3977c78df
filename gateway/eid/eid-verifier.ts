import { decodeJwt, decodeProtectedHeader, errors, type FetchImplementation, jwtVerify } from 'jose';
import { z } from 'zod';
import { type Clock, EinmalError, type ErrorCode } from '../../core/index.ts';
import { sha256Base64Url } from '../../protocol/index.ts';
import { type LevelOfAssurance, loaRank, subjectIdSchema } from '../../schemas/index.ts';
import { createTrustedIssuers, type TrustedEidIssuer } from './trusted-issuers.ts';

/** Signature algorithms accepted for eID tokens: asymmetric only, so no shared secret can mint one. */
export const EID_TOKEN_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'] as const;

/** Longest token accepted; real access tokens are well under 2 KiB. */
const MAX_TOKEN_LENGTH = 8192;

/** Three base64url parts; the signature may be empty so that `alg: none` is named as such. */
const compactJwt = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const verifiedClaims = z.object({
  sub: z.string(),
  iat: z.number(),
  exp: z.number(),
  acr: z.string().optional(),
  scope: z.string().optional(),
});

/** What a service requires of a citizen's token: a minimum eIDAS level and the eID scope. */
export interface EidTokenPolicy {
  readonly requiredLoa: LevelOfAssurance | null;
  readonly scope: string | null;
}

/** A token that passed every check of docs/protocol.md §4.1. Holds no copy of the token itself. */
export interface VerifiedEidToken {
  /** The data subject, the token's `sub`. */
  readonly subject: string;
  readonly issuer: string;
  readonly loa: LevelOfAssurance;
  readonly scopes: readonly string[];
  /** base64url SHA-256 of the token string; what the signed request and the log carry. */
  readonly tokenDigest: string;
  /** Expiry, epoch milliseconds. */
  readonly expiresAt: number;
}

export interface EidVerifierOptions {
  /** Trusted issuers, e.g. the directory's `eidIssuers`. */
  readonly issuers: readonly TrustedEidIssuer[];
  /** The instance audience, e.g. `urn:einmal:DEMO`. */
  readonly audience: string;
  /** Current time, epoch milliseconds. */
  readonly clock: Clock;
  /** Allowed clock difference for `exp`, `nbf` and `iat`. Default 30. */
  readonly skewSeconds?: number;
  /** Oldest `iat` accepted. Default 3600. */
  readonly maxAgeSeconds?: number;
  /** Fetch used for remote JWKS; the global fetch by default. */
  readonly fetch?: FetchImplementation;
}

export interface EidVerifier {
  /** Verifies a citizen's eID access token against a service's policy, or throws an `EinmalError`. */
  verify(token: string, policy: EidTokenPolicy): Promise<VerifiedEidToken>;
  /** Replaces the trusted issuers, e.g. after a directory refresh. */
  updateIssuers(issuers: readonly TrustedEidIssuer[]): void;
}

/** base64url SHA-256 of a token string: the `eid` claim the consumer signs (protocol's digest form). */
export function digestEidToken(token: string): string {
  return sha256Base64Url(token);
}

const refuse = (code: ErrorCode, detail?: unknown): EinmalError => new EinmalError(code, { detail });

/** Maps a jose failure to its refusal; the detail names the claim, never the token. */
function refusalFor(error: unknown): EinmalError {
  if (error instanceof EinmalError) return error;
  // `exp` passed, or `iat` older than the maximum age.
  if (error instanceof errors.JWTExpired) return refuse('Server.ServerProxy.TokenExpired', error.message);
  if (error instanceof errors.JWTClaimValidationFailed) {
    const byClaim: Record<string, ErrorCode> = {
      aud: 'Server.ServerProxy.TokenAudience',
      iss: 'Server.ServerProxy.TokenIssuer',
      sub: 'Server.ServerProxy.TokenSubject',
    };
    // jose reports `nbf` in the future and `iat` in the future as failed checks (expiry is JWTExpired).
    const early = ['nbf', 'iat'].includes(error.claim) && error.reason === 'check_failed';
    const code =
      byClaim[error.claim] ??
      (early ? 'Server.ServerProxy.TokenNotYetValid' : 'Server.ServerProxy.TokenInvalid');
    return refuse(code, error.message);
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return refuse('Server.ServerProxy.TokenAlgorithm', error.message);
  if (error instanceof errors.JOSEError) return refuse('Server.ServerProxy.TokenInvalid', error.code);
  return new EinmalError('Server.ServerProxy.TokenInvalid', { cause: error });
}

/**
 * Creates the verifier of citizens' eID access tokens (docs/protocol.md §4.1, RFC 9068). Checks, each
 * with its own code: the header's `alg` is asymmetric (before any key lookup), `iss` is trusted,
 * the signature verifies against that issuer's JWKS, `typ` is `at+jwt`, `aud` holds the instance
 * audience, `exp`/`nbf`/`iat` hold within the skew and the maximum age (a token used too early is
 * `TokenNotYetValid`, one used too late `TokenExpired`), `sub` is a well-formed subject identifier,
 * `acr` maps to a level at least the required one, and `scope` holds the service's scope.
 * Tokens are never logged or kept; only their digest leaves this function.
 *
 * @example
 * const verifier = createEidVerifier({ issuers: directory.eidIssuers, audience: 'urn:einmal:DEMO',
 *   clock: Date.now });
 * const { subject } = await verifier.verify(token, { requiredLoa: 'substantial', scope: 'vehicles.holder' });
 */
export function createEidVerifier(options: EidVerifierOptions): EidVerifier {
  const { audience, clock, skewSeconds = 30, maxAgeSeconds = 3600 } = options;
  const issuers = createTrustedIssuers(options.issuers, options.fetch);

  /** Everything about a token that does not depend on the service: checked once per token. */
  async function verifyToken(token: string): Promise<TrustedToken> {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !compactJwt.test(token)) {
      throw refuse('Server.ServerProxy.TokenInvalid', 'not a compact JWS');
    }
    let alg: unknown;
    let iss: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
      iss = decodeJwt(token).iss;
    } catch (error) {
      throw refusalFor(error);
    }
    if (!EID_TOKEN_ALGORITHMS.includes(alg as (typeof EID_TOKEN_ALGORITHMS)[number])) {
      throw refuse('Server.ServerProxy.TokenAlgorithm', {
        alg: typeof alg === 'string' ? alg.slice(0, 16) : null,
      });
    }
    const issuer = typeof iss === 'string' ? issuers.find(iss) : undefined;
    if (!issuer)
      throw refuse('Server.ServerProxy.TokenIssuer', {
        iss: typeof iss === 'string' ? iss.slice(0, 256) : null,
      });

    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, issuer.key, {
        algorithms: [...EID_TOKEN_ALGORITHMS],
        issuer: issuer.config.issuer,
        audience,
        typ: 'at+jwt',
        currentDate: new Date(clock()),
        clockTolerance: skewSeconds,
        maxTokenAge: maxAgeSeconds,
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch (error) {
      throw refusalFor(error);
    }

    const claims = verifiedClaims.safeParse(payload);
    if (!claims.success)
      throw refuse(
        'Server.ServerProxy.TokenInvalid',
        claims.error.issues.map((i) => i.path.join('.')),
      );
    const { sub, exp, acr, scope } = claims.data;
    // The one spelling the log and the citizen API use: a token of a trusted issuer is still input,
    // and a subject the record schema refuses would make its record unverifiable for ever.
    if (!subjectIdSchema.safeParse(sub).success) throw refuse('Server.ServerProxy.TokenSubject');

    const loa = acr === undefined ? undefined : issuer.config.acr[acr];
    if (loa === undefined || !Object.hasOwn(issuer.config.acr, acr as string)) {
      throw refuse('Server.ServerProxy.TokenLevel', { acr: acr?.slice(0, 128) ?? null });
    }
    const scopes = scope ? scope.split(' ').filter((s) => s.length > 0) : [];
    return {
      subject: sub,
      issuer: issuer.config.issuer,
      loa,
      scopes,
      iat: claims.data.iat,
      exp,
      tokenDigest: digestEidToken(token),
    };
  }

  // A citizen's token serves several exchanges (address, then vehicles); its signature and claims are
  // checked once, and each later use re-checks only time and the service's policy.
  const trusted = new Map<string, TrustedToken>();

  async function verify(token: string, policy: EidTokenPolicy): Promise<VerifiedEidToken> {
    const now = clock() / 1000;
    let known = trusted.get(token);
    if (known && (now > known.exp + skewSeconds || now - known.iat > maxAgeSeconds + skewSeconds)) {
      trusted.delete(token);
      known = undefined;
    }
    if (!known) {
      known = await verifyToken(token);
      if (trusted.size >= MAX_TRUSTED_TOKENS) trusted.clear();
      trusted.set(token, known);
    }
    const { subject, issuer, loa, scopes, exp, tokenDigest } = known;
    if (policy.requiredLoa !== null && loaRank(loa) < loaRank(policy.requiredLoa)) {
      throw refuse('Server.ServerProxy.TokenLevel', { loa, required: policy.requiredLoa });
    }

    if (policy.scope !== null && !scopes.includes(policy.scope)) {
      throw refuse('Server.ServerProxy.TokenScope', { required: policy.scope });
    }

    return {
      subject,
      issuer,
      loa,
      scopes,
      tokenDigest,
      expiresAt: exp * 1000,
    };
  }

  return {
    verify,
    updateIssuers(next) {
      trusted.clear();
      issuers.update(next);
    },
  };
}

interface TrustedToken {
  readonly subject: string;
  readonly issuer: string;
  readonly loa: LevelOfAssurance;
  readonly scopes: readonly string[];
  readonly iat: number;
  readonly exp: number;
  readonly tokenDigest: string;
}

const MAX_TRUSTED_TOKENS = 10_000;
