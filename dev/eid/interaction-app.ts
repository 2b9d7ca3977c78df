import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import type Provider from 'oidc-provider';
import { errors as oidcErrors } from 'oidc-provider';
import { z } from 'zod';
import type { TestCitizen } from '../../adapters/index.ts';
import { EinmalError, type Logger } from '../../core/index.ts';
import type { TestAuditor } from '../auditors.ts';
import { AUDITOR_SCOPES, EIDAS_ACR, OPENID_SCOPE_TITLES, type ScopeSource } from './eid-scopes.ts';
import { consentPage, loginPage, problemPage } from './interaction-pages.ts';

// Citizens' tax ids (DE + 11 digits) and staff account ids (DESTAFF + digits).
const loginForm = z.object({ citizen: z.string().regex(/^[A-Z]{2}[A-Z0-9]{4,32}$/) });
const missingScopes = z.object({
  missingOIDCScope: z.array(z.string()).optional(),
  missingOIDCClaims: z.array(z.string()).optional(),
  missingResourceScopes: z.record(z.string(), z.array(z.string())).optional(),
});

export interface InteractionAppOptions {
  readonly provider: Provider;
  readonly citizens: readonly TestCitizen[];
  readonly auditors: readonly TestAuditor[];
  /** The titles of the scopes a citizen is asked to release. */
  readonly scopes: ScopeSource;
  readonly log: Logger;
}

/**
 * The login and consent pages of the development eID provider, mounted under `/interaction/`.
 * The citizen picks a test identity (their eID level becomes the `acr`), then agrees to release
 * the requested scopes; both steps hand back to oidc-provider, which continues the code flow.
 * A request for an auditor scope (`audit.search`) is a staff login: it lists the staff accounts,
 * and only they are ever granted auditor scopes.
 */
export function createInteractionApp({
  provider,
  citizens,
  auditors,
  scopes: scopeSource,
  log,
}: InteractionAppOptions) {
  const app = new Hono<{ Bindings: HttpBindings }>();
  const findCitizen = (id: string | undefined) => citizens.find((c) => c.id === id);
  const findAuditor = (id: string | undefined) => auditors.find((a) => a.id === id);
  const isStaffLogin = (params: Record<string, unknown>) =>
    String(params.scope ?? '')
      .split(' ')
      .some((scope) => AUDITOR_SCOPES.includes(scope));

  app.use('*', async (c, next) => {
    await next();
    c.header('cache-control', 'no-store');
  });

  /** The interaction this browser is in; its cookie must belong to the uid of the path. */
  const interaction = async (c: { env: HttpBindings; req: { param(name: 'uid'): string } }) => {
    const details = await provider.interactionDetails(c.env.incoming, c.env.outgoing);
    if (details.uid !== c.req.param('uid')) throw new oidcErrors.SessionNotFound('interaction mismatch');
    return details;
  };

  app.get('/interaction/:uid', async (c) => {
    const details = await interaction(c);
    const clientId = String(details.params.client_id);
    if (details.prompt.name === 'login') {
      const staff = isStaffLogin(details.params) ? { auditors } : {};
      return c.html(loginPage({ uid: details.uid, clientId, citizens, ...staff }));
    }
    if (details.prompt.name === 'consent') {
      const missing = missingScopes.parse(details.prompt.details);
      const requested = [
        ...(missing.missingOIDCScope ?? []),
        ...Object.values(missing.missingResourceScopes ?? {}).flat(),
      ];
      const titles = await scopeSource();
      const scopes = [...new Set(requested)].map((scope) => ({
        scope,
        title: titles[scope] ?? OPENID_SCOPE_TITLES[scope] ?? scope,
      }));
      const person = findCitizen(details.session?.accountId) ?? findAuditor(details.session?.accountId);
      return c.html(consentPage({ uid: details.uid, clientId, citizen: person, scopes }));
    }
    return c.html(problemPage(`Unsupported step ${details.prompt.name}`), 400);
  });

  app.post('/interaction/:uid/login', async (c) => {
    const details = await interaction(c);
    if (details.prompt.name !== 'login') return c.html(problemPage('This login step is already done'), 400);
    const form = loginForm.safeParse(await c.req.parseBody());
    const staff = isStaffLogin(details.params);
    const id = form.success ? form.data.citizen : undefined;
    const citizen = staff ? findAuditor(id) : findCitizen(id);
    if (!citizen) {
      const error = new EinmalError('Eid.UnknownCitizen');
      log.info({ code: error.code }, 'eID login refused');
      const page = loginPage({
        uid: details.uid,
        clientId: String(details.params.client_id),
        citizens,
        ...(staff ? { auditors } : {}),
        error: error.message,
      });
      return c.html(page, 401);
    }
    const returnTo = await provider.interactionResult(
      c.env.incoming,
      c.env.outgoing,
      {
        login: {
          accountId: citizen.id,
          acr: 'loa' in citizen ? EIDAS_ACR[citizen.loa] : EIDAS_ACR.high,
          amr: [staff ? 'pwd' : 'eid'],
        },
      },
      { mergeWithLastSubmission: false },
    );
    return c.redirect(returnTo, 303);
  });

  app.post('/interaction/:uid/confirm', async (c) => {
    const details = await interaction(c);
    const accountId = details.session?.accountId;
    if (details.prompt.name !== 'consent' || !accountId) {
      return c.html(problemPage('There is nothing to agree to'), 400);
    }
    const missing = missingScopes.parse(details.prompt.details);
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    if (!grant) throw new oidcErrors.SessionNotFound('grant expired');
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const auditor = findAuditor(accountId) !== undefined;
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      const granted = scopes.filter((scope) => auditor || !AUDITOR_SCOPES.includes(scope));
      if (granted.length > 0) grant.addResourceScope(resource, granted.join(' '));
    }
    const grantId = await grant.save();
    const returnTo = await provider.interactionResult(
      c.env.incoming,
      c.env.outgoing,
      { consent: details.grantId ? {} : { grantId } },
      { mergeWithLastSubmission: true },
    );
    return c.redirect(returnTo, 303);
  });

  app.get('/interaction/:uid/abort', async (c) => {
    await interaction(c);
    const returnTo = await provider.interactionResult(
      c.env.incoming,
      c.env.outgoing,
      { error: 'access_denied', error_description: 'The citizen cancelled the login' },
      { mergeWithLastSubmission: false },
    );
    return c.redirect(returnTo, 303);
  });

  app.notFound((c) => c.html(problemPage('Not found'), 404));

  app.onError((error, c) => {
    if (error instanceof oidcErrors.SessionNotFound) {
      return c.html(
        problemPage('The login session is unknown or expired. Start again from the application.'),
        400,
      );
    }
    log.error({ err: error }, 'eID interaction failed');
    return c.html(problemPage('Internal error'), 500);
  });

  return app;
}
