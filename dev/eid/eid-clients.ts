import type { ClientMetadata } from 'oidc-provider';
import { demoPorts } from '../demo-federation.ts';

/** Redirect URI of the `einmal-cli` client; any loopback port is accepted (RFC 8252 §7.3). */
export const CLI_REDIRECT_URI = 'http://127.0.0.1/callback';

export interface EidClientSettings {
  /** Redirect URIs of the portal. Default: the demo portal's `/auth/callback`. */
  readonly portalRedirectUris?: readonly string[];
  /** Makes the portal a confidential client (client_secret_basic); public with PKCE without it. */
  readonly portalClientSecret?: string;
}

/**
 * The relying parties of the development eID provider: `einmal-cli`, a public native client for
 * scripts and tests, and `einmal-portal`, the citizens' portal. Both use the code flow with PKCE;
 * with EC keys only, ID tokens are ES256.
 */
export function eidClients(settings: EidClientSettings = {}): ClientMetadata[] {
  const portalRedirectUris = settings.portalRedirectUris ?? [
    `http://127.0.0.1:${demoPorts.portal}/auth/callback`,
  ];
  const common = {
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: 'ES256',
  } satisfies Partial<ClientMetadata>;
  return [
    {
      ...common,
      client_id: 'einmal-cli',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: [CLI_REDIRECT_URI],
    },
    {
      ...common,
      client_id: 'einmal-portal',
      redirect_uris: [...portalRedirectUris],
      post_logout_redirect_uris: portalRedirectUris.map((uri) => new URL('/', uri).href),
      ...(settings.portalClientSecret
        ? { client_secret: settings.portalClientSecret, token_endpoint_auth_method: 'client_secret_basic' }
        : { token_endpoint_auth_method: 'none' }),
    },
  ];
}
