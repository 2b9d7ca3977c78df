import * as oidc from 'openid-client';
import { EinmalError, type Logger } from '../../core/index.ts';
import type { PendingLogin, Role } from '../session/session-store.ts';

/** The scopes each kind of login asks for: the citizen reads their own log, the auditor searches. */
const SCOPES: Record<Role, string> = {
  citizen: 'openid profile audit.read',
  auditor: 'openid profile audit.search',
};

/** How long a started login may take before its callback is refused. */
const MAX_LOGIN_MS = 10 * 60_000;
/** How long discovered provider metadata is reused. */
const DISCOVERY_TTL_MS = 10 * 60_000;

/** A finished login: who it is, and the access token for the instance audience. */
export interface CompletedLogin {
  readonly subject: string;
  readonly name: string | null;
  readonly accessToken: string;
  readonly expiresAt: number;
}

export interface OidcLogin {
  /** Starts a login at `issuer`: the authorization URL to send the browser to, and what to keep. */
  start(issuer: string, role: Role): Promise<{ url: URL; pending: PendingLogin }>;
  /** Finishes a login from the provider's redirect to the callback URL. */
  finish(pending: PendingLogin, callbackUrl: URL): Promise<CompletedLogin>;
}

export interface OidcLoginOptions {
  readonly clientId: string;
  readonly clientSecret?: string | undefined;
  /** The portal's callback, `PUBLIC_URL/auth/callback`, registered at every eID provider. */
  readonly redirectUri: string;
  /** The instance audience, `urn:einmal:INSTANCE` (RFC 8707 resource indicator), from the directory. */
  readonly audience: () => string;
  readonly clock: () => number;
  readonly log: Logger;
}

const isLoopback = (url: URL) => ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);

/**
 * The portal's OpenID Connect login (docs/protocol.md §4.1, §12) with openid-client: the authorization code
 * flow with PKCE (S256), `state` and `nonce`, the RFC 8707 resource indicator for the instance
 * audience (so the access token is one the gateways accept), and `prompt=login`, so that a new
 * login never silently reuses someone's earlier session at the provider on a shared computer.
 * Which issuers are trusted is the caller's decision (the signed directory). Every failure of the
 * flow is `Portal.LoginFailed` (the provider's `access_denied` says `cancelled` in its detail);
 * tokens never reach a log line.
 *
 * @example
 * const login = createOidcLogin({ clientId: 'einmal-portal', redirectUri, audience: () => 'urn:einmal:DEMO', clock: Date.now, log });
 * const { url, pending } = await login.start('http://127.0.0.1:4402', 'citizen');
 */
export function createOidcLogin(options: OidcLoginOptions): OidcLogin {
  const configurations = new Map<string, { config: Promise<oidc.Configuration>; at: number }>();

  function configurationOf(issuer: string): Promise<oidc.Configuration> {
    const cached = configurations.get(issuer);
    const now = options.clock();
    if (cached && now - cached.at < DISCOVERY_TTL_MS) return cached.config;
    const url = new URL(issuer);
    const config = oidc
      .discovery(
        url,
        options.clientId,
        { redirect_uris: [options.redirectUri], response_types: ['code'] },
        options.clientSecret ? oidc.ClientSecretBasic(options.clientSecret) : oidc.None(),
        // Development eID providers run on loopback over plain HTTP; nothing else may.
        url.protocol === 'http:' && isLoopback(url) ? { execute: [oidc.allowInsecureRequests] } : {},
      )
      .catch((cause: unknown) => {
        configurations.delete(issuer);
        throw new EinmalError('Portal.LoginFailed', { cause, detail: { step: 'discovery', issuer } });
      });
    configurations.set(issuer, { config, at: now });
    return config;
  }

  return {
    async start(issuer, role) {
      const config = await configurationOf(issuer);
      const pending: PendingLogin = {
        role,
        issuer,
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        codeVerifier: oidc.randomPKCECodeVerifier(),
        startedAt: options.clock(),
      };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: options.redirectUri,
        scope: SCOPES[role],
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
        resource: options.audience(),
        prompt: 'login',
      });
      return { url, pending };
    },

    async finish(pending, callbackUrl) {
      const error = callbackUrl.searchParams.get('error');
      if (error !== null) {
        throw new EinmalError('Portal.LoginFailed', {
          detail: { step: 'authorization', error: error.slice(0, 64), cancelled: error === 'access_denied' },
        });
      }
      if (options.clock() - pending.startedAt > MAX_LOGIN_MS) {
        throw new EinmalError('Portal.LoginFailed', {
          detail: { step: 'callback', reason: 'login too old' },
        });
      }
      const config = await configurationOf(pending.issuer);
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(
          config,
          callbackUrl,
          {
            pkceCodeVerifier: pending.codeVerifier,
            expectedState: pending.state,
            expectedNonce: pending.nonce,
            idTokenExpected: true,
          },
          { resource: options.audience() },
        );
      } catch (cause) {
        const code = (cause as { code?: unknown }).code;
        throw new EinmalError('Portal.LoginFailed', {
          cause,
          detail: { step: 'token', code: typeof code === 'string' ? code : 'unknown' },
        });
      }
      const claims = tokens.claims();
      if (!claims || !tokens.access_token) {
        throw new EinmalError('Portal.LoginFailed', { detail: { step: 'token', reason: 'no ID token' } });
      }
      const given = typeof claims.given_name === 'string' ? claims.given_name : '';
      const family = typeof claims.family_name === 'string' ? claims.family_name : '';
      const expiresIn = tokens.expiresIn() ?? 300;
      options.log.info({ issuer: pending.issuer, role: pending.role }, 'portal login completed');
      return {
        subject: claims.sub,
        name: `${given} ${family}`.trim().slice(0, 200) || null,
        accessToken: tokens.access_token,
        expiresAt: options.clock() + expiresIn * 1000,
      };
    },
  };
}
