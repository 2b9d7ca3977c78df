import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import Provider, { type ClientMetadata, errors as oidcErrors } from 'oidc-provider';
import type { TestCitizen } from '../../adapters/index.ts';
import { type Logger, silentLogger } from '../../core/index.ts';
import { EID_SERVICE_SCOPES, EIDAS_ACR } from './eid-scopes.ts';
import { createInteractionApp } from './interaction-app.ts';
import type { EidProviderKeys } from './provider-keys.ts';

export interface EidProviderOptions {
  /** The issuer identifier, e.g. `http://127.0.0.1:4402`. */
  readonly issuer: URL;
  readonly keys: EidProviderKeys;
  readonly clients: readonly ClientMetadata[];
  readonly citizens: readonly TestCitizen[];
  /** The resource indicator whose access tokens agencies' gateways accept, e.g. `urn:einmal:DEMO`. */
  readonly audience: string;
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
 * and `scope` = the data categories the citizen agreed to. No I/O: keys are passed in.
 *
 * @example
 * const eid = createEidProvider({ issuer: new URL('http://127.0.0.1:4402'), keys, clients: eidClients(),
 *   citizens: testCitizens, audience: DEMO_AUDIENCE });
 * http.createServer(eid.listener).listen(4402);
 */
export function createEidProvider(options: EidProviderOptions): EidProvider {
  const { citizens, audience, accessTokenTtlSeconds = 600, log = silentLogger } = options;
  const issuer = options.issuer.href.replace(/\/$/, '');
  const findCitizen = (id: string | undefined) => citizens.find((c) => c.id === id);
  const resourceScopes = Object.keys(EID_SERVICE_SCOPES).join(' ');

  const provider = new Provider(issuer, {
    clients: options.clients.map((client) => ({ ...client })),
    jwks: { keys: options.keys.jwks.keys.map((key) => ({ ...key })) },
    cookies: { keys: [...options.keys.cookieKeys] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    scopes: ['openid'],
    acrValues: Object.values(EIDAS_ACR),
    pkce: { required: () => true },
    findAccount: (_ctx, sub) => {
      const citizen = findCitizen(sub);
      return citizen ? { accountId: citizen.id, claims: () => ({ sub: citizen.id }) } : undefined;
    },
    extraTokenClaims: (_ctx, token) => {
      const citizen = 'accountId' in token ? findCitizen(token.accountId) : undefined;
      return citizen ? { acr: EIDAS_ACR[citizen.loa] } : undefined;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        // Tokens are for the instance resource even when a client does not name it.
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (resourceIndicator !== audience) throw new oidcErrors.InvalidTarget();
          return {
            scope: resourceScopes,
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

  const interactions = getRequestListener(createInteractionApp({ provider, citizens, log }).fetch);
  const oidc = provider.callback();
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url?.startsWith('/interaction/')) void interactions(req, res);
    else void oidc(req, res);
  };
  return { issuer, provider, listener };
}
