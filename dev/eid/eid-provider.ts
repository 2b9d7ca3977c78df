import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import Provider, { type ClientMetadata, errors as oidcErrors } from 'oidc-provider';
import type { TestCitizen } from '../../adapters/index.ts';
import { type Logger, silentLogger } from '../../core/index.ts';
import type { TestAuditor } from '../auditors.ts';
import { demoScopes, EIDAS_ACR, type ScopeSource } from './eid-scopes.ts';
import { createInteractionApp } from './interaction-app.ts';
import type { EidProviderKeys } from './provider-keys.ts';

export interface EidProviderOptions {
  /** The issuer identifier, e.g. `http://127.0.0.1:4402`. */
  readonly issuer: URL;
  readonly keys: EidProviderKeys;
  readonly clients: readonly ClientMetadata[];
  readonly citizens: readonly TestCitizen[];
  /** Staff accounts with the auditor role (docs/protocol.md §12); none by default. */
  readonly auditors?: readonly TestAuditor[];
  /** The resource indicator whose access tokens agencies' gateways accept, e.g. `urn:einmal:DEMO`. */
  readonly audience: string;
  /** The scopes it offers (default: the demo federation's); e.g. those of the directory's services. */
  readonly scopes?: ScopeSource;
  /** Access token lifetime. Default 600 (10 min). */
  readonly accessTokenTtlSeconds?: number;
  readonly log?: Logger;
}

/** A configured eID provider and the one HTTP listener that serves it. */
export interface EidProvider {
  readonly issuer: string;
  readonly provider: Provider;
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * Creates the development eID provider (docs/protocol.md §4.1): an OpenID provider with the code flow and
 * mandatory PKCE (S256), whose access tokens for the instance resource (RFC 8707) are JWTs
 * (RFC 9068, `typ: at+jwt`) with `sub` = the citizen id, `acr` = the citizen's eIDAS level URI
 * and `scope` = the data categories the citizen agreed to. Auditors log in with a staff account;
 * their tokens also carry `roles: ['auditor']` and `entitlements` (RFC 9068 §7.2.1.1), the members
 * whose logs they may audit. The ID token names the person (`given_name`, `family_name`) when the
 * `profile` scope is asked for. No I/O: keys are passed in.
 *
 * @example
 * const eid = createEidProvider({ issuer: new URL('http://127.0.0.1:4402'), keys, clients: eidClients(),
 *   citizens: testCitizens, audience: DEMO_AUDIENCE });
 * http.createServer(eid.listener).listen(4402);
 */
export function createEidProvider(options: EidProviderOptions): EidProvider {
  const { citizens, audience, accessTokenTtlSeconds = 600, log = silentLogger } = options;
  const auditors = options.auditors ?? [];
  const issuer = options.issuer.href.replace(/\/$/, '');
  const findCitizen = (id: string | undefined) => citizens.find((c) => c.id === id);
  const findAuditor = (id: string | undefined) => auditors.find((a) => a.id === id);
  const scopes = options.scopes ?? demoScopes;

  const provider = new Provider(issuer, {
    clients: options.clients.map((client) => ({ ...client })),
    jwks: { keys: options.keys.jwks.keys.map((key) => ({ ...key })) },
    cookies: { keys: [...options.keys.cookieKeys] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    scopes: ['openid', 'profile'],
    claims: { openid: ['sub'], profile: ['given_name', 'family_name'] },
    // The portal reads the name from the ID token: its access token is for the agencies, not userinfo.
    conformIdTokenClaims: false,
    acrValues: Object.values(EIDAS_ACR),
    pkce: { required: () => true },
    findAccount: (_ctx, sub) => {
      const person = findCitizen(sub) ?? findAuditor(sub);
      if (!person) return undefined;
      const claims = { sub: person.id, given_name: person.givenName, family_name: person.familyName };
      return { accountId: person.id, claims: () => claims };
    },
    extraTokenClaims: (_ctx, token) => {
      const accountId = 'accountId' in token ? token.accountId : undefined;
      const citizen = findCitizen(accountId);
      if (citizen) return { acr: EIDAS_ACR[citizen.loa] };
      const auditor = findAuditor(accountId);
      return auditor
        ? { acr: EIDAS_ACR.high, roles: ['auditor'], entitlements: [...auditor.entitlements] }
        : undefined;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        // Tokens are for the instance resource even when a client does not name it.
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? audience,
        useGrantedResource: () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator) => {
          if (resourceIndicator !== audience) throw new oidcErrors.InvalidTarget();
          return {
            scope: Object.keys(await scopes()).join(' '),
            audience,
            accessTokenTTL: accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    ttl: {
      AccessToken: accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
  });
  provider.on('server_error', (_ctx, error) => log.error({ err: error }, 'eID provider error'));

  const interactions = getRequestListener(
    createInteractionApp({ provider, citizens, auditors, scopes, log }).fetch,
  );
  const oidc = provider.callback();
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url?.startsWith('/interaction/')) void interactions(req, res);
    else void oidc(req, res);
  };
  return { issuer, provider, listener };
}
