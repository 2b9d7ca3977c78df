import type { Socket } from 'node:net';
import { Hono } from 'hono';
import { EinmalError, type ErrorCode, type Logger, toEinmalError } from '../../core/index.ts';
import { HEADER, parseServiceId, verifiedContextHeaders } from '../../schemas/index.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { checkLoggable, exchangeRecord, loggableRejection } from '../audit/exchange-record.ts';
import { type SigningIdentity, signResponse } from '../exchange/envelopes.ts';
import { rawTarget, readBody } from '../http/read-body.ts';
import { respondNotFound, respondRejected } from '../http/respond-error.ts';
import { peerIdentityOf } from '../tls/peer-certificate.ts';
import type { AdapterClient } from './adapter-client.ts';
import { checkPeerRequest, type ProviderCheckDeps, type RequestTrace } from './check-request.ts';
import type { Metaservices } from './metaservices.ts';

export interface ProviderAppDeps {
  readonly checks: ProviderCheckDeps;
  /** Throws `Server.ServerProxy.OutdatedDirectory` while the directory is expired. */
  readonly ensureDirectoryFresh: () => void;
  /** The adapter base URL of a hosted subsystem (printed `INSTANCE/CLASS/MEMBER/SUBSYSTEM`). */
  readonly adapterFor: (subsystem: string) => string | undefined;
  readonly adapters: AdapterClient;
  readonly metaservices: Metaservices;
  /** The signing identity of the provider member owning `service`. */
  readonly signerFor: (member: string) => SigningIdentity | undefined;
  readonly audit: AuditLog;
  readonly log: Logger;
  readonly clock: () => number;
  readonly maxBodyBytes: number;
}

/**
 * The provider role (DESIGN.md §5): receives signed requests from peer gateways over mutual TLS,
 * runs every check in order, calls the adapter with the verified context only, signs the response,
 * and releases it only after its audit record is committed. Every rejection is recorded too.
 */
export function createProviderApp(deps: ProviderAppDeps): Hono {
  const app = new Hono();
  const log = deps.log.child({ side: 'provider' });
  const gatewayId = deps.checks.gatewayId;

  app.all('/r1/*', async (c) => {
    const { path, query } = rawTarget(c);
    const trace: RequestTrace = {};
    const outcome = (
      status: number,
      extra: { errorCode?: ErrorCode; failed?: boolean; responseJws?: string },
    ) =>
      exchangeRecord({
        side: 'provider',
        gateway: gatewayId,
        now: deps.clock(),
        method: c.req.method,
        path,
        claims: trace.claims,
        service: trace.service,
        subject: trace.subject,
        requestJws: trace.requestJws,
        status,
        ...extra,
      });
    const record = (
      status: number,
      extra: { errorCode?: ErrorCode; failed?: boolean; responseJws?: string },
    ) =>
      deps.audit.append(
        extra.errorCode === undefined ? outcome(status, extra) : loggableRejection(outcome(status, extra)),
      );

    try {
      deps.ensureDirectoryFresh();
      const body = await readBody(c, deps.maxBodyBytes);
      const peer = peerIdentityOf(
        (c.env as { incoming?: { socket?: Socket } } | undefined)?.incoming?.socket,
      );
      const verified = await checkPeerRequest(
        deps.checks,
        { method: c.req.method, path, query, body, header: (name) => c.req.header(name), peer },
        trace,
      );
      // Everything the record takes from the request is known now: if the log could not hold it
      // exactly as signed, nothing is served (the answer's own fields are the gateway's).
      checkLoggable(outcome(200, {}), 'Server.ServerProxy.RequestNotLoggable');
      const service = parseServiceId(verified.claims.service);
      const subsystem = `${service.instance}/${service.memberClass}/${service.memberCode}/${service.subsystemCode}`;
      const member = `${service.instance}/${service.memberClass}/${service.memberCode}`;
      const adapterUrl = deps.adapterFor(subsystem);
      const signer = deps.signerFor(member);
      if (!adapterUrl || !signer) {
        throw toEinmalError(
          new Error(`no adapter or signing key for ${subsystem}`),
          'Server.ServerProxy.InternalError',
        );
      }
      const claims = verified.claims;
      const contentType = c.req.header('content-type');
      const answer = verified.metaservice
        ? {
            ...(await deps.metaservices.answer({
              code: verified.metaservice,
              subsystem: service,
              adapterUrl,
              query,
              ...(await accessOf(deps, claims.client)),
            })),
            contentType: 'application/json',
          }
        : await deps.adapters.call({
            baseUrl: adapterUrl,
            serviceCode: service.serviceCode,
            serviceVersion: service.serviceVersion,
            path: verified.servicePath,
            query,
            method: c.req.method,
            body,
            headers: {
              ...(contentType ? { 'content-type': contentType } : {}),
              ...verifiedContextHeaders({
                client: claims.client,
                service: claims.service,
                messageId: claims.id,
                subject: verified.subject,
                purpose: claims.purpose,
                legalBasis: claims.legalBasis,
                userId: claims.userId,
                issue: claims.issue,
              }),
            },
          });
      if (!Number.isInteger(answer.status) || answer.status < 200 || answer.status > 599) {
        throw new EinmalError('Server.ServerProxy.ServiceFailed', { detail: { status: answer.status } });
      }
      const signed = signResponse(
        {
          id: claims.id,
          requestJws: verified.requestJws,
          status: answer.status,
          body: answer.body,
          now: deps.clock(),
        },
        signer,
      );
      // Fail closed: no byte of the answer leaves before its record is committed.
      await record(answer.status, { responseJws: signed.jws });
      const headers = new Headers({ [HEADER.response]: signed.jws, [HEADER.messageId]: claims.id });
      if (answer.contentType) headers.set('content-type', answer.contentType);
      return new Response(answer.body, { status: answer.status, headers });
    } catch (thrown) {
      return respondRejected(thrown, { log, fallback: 'Server.ServerProxy.InternalError', record });
    }
  });

  app.all('*', (c) => respondNotFound(c.req.path, deps.log));
  return app;
}

/** The caller's access rules and groups, for `allowedMethods`. */
async function accessOf(deps: ProviderAppDeps, client: string) {
  const { rules, localGroups } = await deps.checks.accessRules.current(client);
  return { rules, access: { client, localGroups, globalGroups: deps.checks.directory().groupsOf(client) } };
}
