import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { EinmalError } from '../../core/index.ts';
import { DEMO_AUDIENCE } from '../demo-federation.ts';
import { CLI_REDIRECT_URI } from './eid-clients.ts';

export interface CitizenTokenRequest {
  /** The eID provider's issuer, e.g. `http://127.0.0.1:4402`. */
  readonly issuer: string;
  /** The test citizen to log in, e.g. `DE65402138797`. */
  readonly citizen: string;
  /** Space-separated scopes, e.g. `population.address vehicles.holder`; `openid` is added. */
  readonly scope: string;
  /** Default `einmal-cli`. */
  readonly clientId?: string;
  /** Default `urn:einmal:DEMO`. */
  readonly resource?: string;
}

const discovery = z.object({
  issuer: z.string(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
});
const tokenResponse = z.object({ access_token: z.string().min(1), token_type: z.string() });
const tokenError = z.object({ error: z.string(), error_description: z.string().optional() });

const flowFailed = (message: string, detail?: unknown) =>
  new EinmalError('Eid.FlowFailed', { message, detail });

/** Cookies of one login, by name; paths are ignored since the flow stays on one provider. */
function createCookieJar() {
  const cookies = new Map<string, string>();
  return {
    header: () => [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
    store(response: Response) {
      for (const line of response.headers.getSetCookie()) {
        const [pair = '', ...attributes] = line.split(';');
        const split = pair.indexOf('=');
        if (split <= 0) continue;
        const name = pair.slice(0, split).trim();
        const value = pair.slice(split + 1).trim();
        const expired = attributes.some((attribute) => {
          const [key = '', val = ''] = attribute.split('=').map((s) => s.trim());
          if (key.toLowerCase() === 'max-age') return Number(val) <= 0;
          if (key.toLowerCase() === 'expires') return Date.parse(val) <= Date.now();
          return false;
        });
        if (expired || value === '') cookies.delete(name);
        else cookies.set(name, value);
      }
    },
  };
}

/**
 * Logs a test citizen in at the development eID provider, headlessly over HTTP, and returns the
 * access token: the authorization request with PKCE (S256) and the resource indicator, the login
 * form for that citizen, the consent to the scopes, then the code exchange at the token endpoint
 * with the code verifier and the resource. A refused login is `Eid.UnknownCitizen`; any other
 * deviation from the flow is `Eid.FlowFailed`.
 *
 * @example
 * const token = await obtainCitizenToken({ issuer: 'http://127.0.0.1:4402', citizen: 'DE65402138797',
 *   scope: 'population.address vehicles.holder' });
 */
export async function obtainCitizenToken(request: CitizenTokenRequest): Promise<string> {
  const clientId = request.clientId ?? 'einmal-cli';
  const resource = request.resource ?? DEMO_AUDIENCE;
  const issuer = request.issuer.replace(/\/$/, '');
  const jar = createCookieJar();
  const send = async (url: URL | string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    const cookie = jar.header();
    if (cookie) headers.set('cookie', cookie);
    let response: Response;
    try {
      response = await fetch(url, { ...init, headers, redirect: 'manual' });
    } catch (error) {
      throw new EinmalError('Eid.FlowFailed', {
        message: `cannot reach ${new URL(url).origin}`,
        cause: error,
      });
    }
    jar.store(response);
    return response;
  };

  const meta = discovery.safeParse(
    await (await send(`${issuer}/.well-known/openid-configuration`)).json().catch(() => null),
  );
  if (!meta.success || meta.data.issuer !== issuer)
    throw flowFailed('the discovery document is not this issuer');

  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const scope = [...new Set(['openid', ...request.scope.split(' ').filter((s) => s.length > 0)])].join(' ');
  const authorize = new URL(meta.data.authorization_endpoint);
  authorize.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: CLI_REDIRECT_URI,
    scope,
    state,
    resource,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();

  let url = authorize;
  let callback: URL | undefined;
  for (let step = 0; step < 12 && !callback; step += 1) {
    const response = await send(url);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url);
      if (`${next.origin}${next.pathname}` === CLI_REDIRECT_URI) callback = next;
      else url = next;
      continue;
    }
    if (response.status !== 200 || !url.pathname.startsWith('/interaction/')) {
      throw flowFailed(`unexpected ${response.status} from ${url.pathname}`);
    }
    // The interaction page names its next step in its form's action.
    const action = /<form[^>]*action="([^"]+)"/.exec(await response.text())?.[1];
    if (!action) throw flowFailed('the interaction page has no form');
    const target = new URL(action, url);
    const body = target.pathname.endsWith('/login')
      ? new URLSearchParams({ citizen: request.citizen })
      : new URLSearchParams();
    const submitted = await send(target, { method: 'POST', body });
    const resumed = submitted.headers.get('location');
    if (submitted.status === 401 && target.pathname.endsWith('/login'))
      throw new EinmalError('Eid.UnknownCitizen');
    if (submitted.status !== 303 || !resumed)
      throw flowFailed(`unexpected ${submitted.status} from ${target.pathname}`);
    url = new URL(resumed, target);
  }
  if (!callback) throw flowFailed('the flow did not return to the client');

  const error = callback.searchParams.get('error');
  if (error) throw flowFailed(`the provider answered ${error.slice(0, 64)}`);
  if (callback.searchParams.get('state') !== state) throw flowFailed('the state does not match');
  // RFC 9207: the authorization response names its issuer.
  if (callback.searchParams.get('iss') !== issuer)
    throw flowFailed('the authorization response is from another issuer');
  const code = callback.searchParams.get('code');
  if (!code) throw flowFailed('the authorization response has no code');

  const exchanged = await send(meta.data.token_endpoint, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: CLI_REDIRECT_URI,
      client_id: clientId,
      code_verifier: verifier,
      resource,
    }),
  });
  const json: unknown = await exchanged.json().catch(() => null);
  const token = tokenResponse.safeParse(json);
  if (exchanged.ok && token.success) return token.data.access_token;
  const refusal = tokenError.safeParse(json);
  throw flowFailed(
    `the token endpoint answered ${exchanged.status} ${refusal.success ? refusal.data.error : ''}`.trim(),
  );
}
