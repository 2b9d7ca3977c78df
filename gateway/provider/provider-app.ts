import type { Socket } from 'node:net';
import { Hono } from 'hono';
import { type Clock, EinmalError, errorHandlers, type Logger, toEinmalError } from '../../core/index.ts';
import { type SigningIdentity, signResponse } from '../../protocol/index.ts';
import {
  HEADER,
  parseServiceId,
  printMemberId,
  printSubsystemId,
  verifiedContextHeaders,
} from '../../schemas/index.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { checkLoggable } from '../audit/exchange-record.ts';
import { type ExchangePipelineOptions, exchangePipeline } from '../exchange/exchange-pipeline.ts';
import { peerIdentityOf } from '../tls/peer-certificate.ts';
import type { AdapterClient } from './adapter-client.ts';
import { checkPeerRequest, type ProviderCheckDeps } from './check-request.ts';
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
  readonly clock: Clock;
  readonly maxBodyBytes: number;
  /** Told of every exchange once answered (the gateway's metrics). */
  readonly observe?: ExchangePipelineOptions['observe'];
}

/**
 * The provider role (docs/protocol.md §4): receives signed requests from peer gateways over mutual TLS,
 * runs every check in order, calls the adapter with the verified context only, signs the response,
 * and releases it only after its audit record is committed. Every rejection is recorded too.
 */
export function createProviderApp(deps: ProviderAppDeps): Hono {
  const app = new Hono();
  const log = deps.log.child({ side: 'provider' });
  const gatewayId = deps.checks.gatewayId;

  const exchanges = exchangePipeline(
    {
      side: 'provider',
      gatewayId,
      audit: deps.audit,
      log,
      clock: deps.clock,
      maxBodyBytes: deps.maxBodyBytes,
      observe: deps.observe,
    },
    async (exchange, c) => {
      const { trace, query } = exchange;
      deps.ensureDirectoryFresh();
      const body = await exchange.readBody();
      const peer = peerIdentityOf(
        (c.env as { incoming?: { socket?: Socket } } | undefined)?.incoming?.socket,
      );
      const verified = await checkPeerRequest(
        deps.checks,
        {
          method: c.req.method,
          path: exchange.rawPath,
          query,
          body,
          header: (name) => c.req.header(name),
          peer,
        },
        trace,
      );
      // Everything the record takes from the request is known now: if the log could not hold it
      // exactly as signed, nothing is served (the answer's own fields are the gateway's).
      checkLoggable(exchange.outcome(200), 'Server.ServerProxy.RequestNotLoggable');
      const service = parseServiceId(verified.claims.service);
      const subsystem = printSubsystemId(service);
      const member = printMemberId(service);
      const adapterUrl = deps.adapterFor(subsystem);
      const signer = deps.signerFor(member);
      // A metaservice needs no adapter where the subsystem has no services.
      if ((!adapterUrl && !verified.metaservice) || !signer) {
        throw toEinmalError(
          new Error(`no adapter or signing key for ${subsystem}`),
          'Server.ServerProxy.InternalError',
        );
      }
      const claims = verified.claims;
      const contentType = c.req.header('content-type');
      const answer = verified.metaservice
        ? await deps.metaservices.answer({
            code: verified.metaservice,
            subsystem: service,
            services: deps.checks.directory().servicesOf(subsystem),
            adapterUrl,
            query,
            ...(await accessOf(deps, claims.client)),
          })
        : await deps.adapters.call({
            baseUrl: adapterUrl!,
            serviceCode: service.serviceCode,
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
          request: verified.request,
          status: answer.status,
          body: answer.body,
          now: deps.clock(),
        },
        signer,
      );
      // Fail closed: no byte of the answer leaves before its record is committed.
      await exchange.record(answer.status, { responseJws: signed.jws });
      // A plain record goes to Node as it is; a Headers object would check the kilobytes of the
      // signature once more before Node checks them again.
      const headers: Record<string, string> = {
        [HEADER.response]: signed.jws,
        [HEADER.messageId]: claims.id,
      };
      if (answer.contentType) headers['content-type'] = answer.contentType;
      return new Response(answer.body, { status: answer.status, headers });
    },
  );
  app.all('/r1/*', exchanges);

  app.all('*', errorHandlers({ log: deps.log }).notFound);
  return app;
}

/** The caller's access rules and groups, for `allowedMethods`. */
async function accessOf(deps: ProviderAppDeps, client: string) {
  const { rules, localGroups } = await deps.checks.accessRules.current(client);
  return { rules, access: { client, localGroups, globalGroups: deps.checks.directory().groupsOf(client) } };
}
