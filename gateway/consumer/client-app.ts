import { hash, randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { Hono } from 'hono';
import {
  type Clock,
  EinmalError,
  type ErrorCode,
  errorHandlers,
  isErrorCode,
  type Logger,
  preferredFormat,
} from '../../core/index.ts';
import {
  decodeCompactJws,
  digestEnvelope,
  type SignerCache,
  type SigningIdentity,
  sha256Base64Url,
  signRequestClaims,
} from '../../protocol/index.ts';
import {
  exchangeMessageId,
  HEADER,
  httpMethodSchema,
  MAX_SIGNED_ENVELOPE_LENGTH,
  memberOfPrinted,
  parseClientRequestHeaders,
  parseServicePath,
  printClientId,
  printMemberId,
  printServiceId,
  printSubsystemId,
  type RequestClaims,
  subjectIdSchema,
} from '../../schemas/index.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { checkLoggable } from '../audit/exchange-record.ts';
import type { DirectoryView } from '../directory-view.ts';
import { type ExchangePipelineOptions, exchangePipeline } from '../exchange/exchange-pipeline.ts';
import { metaserviceCalled } from '../provider/metaservices.ts';
import { peerIdentityOf } from '../tls/peer-certificate.ts';
import type { IsAuthenticator } from './information-systems.ts';
import { listClients, listClientsJson, listClientsXml } from './list-clients.ts';
import type { MessageIdClaims } from './message-id-claims.ts';
import type { PeerClient, PeerResponse } from './peer-client.ts';
import { verifyResponse } from './verify-response.ts';

export interface ClientAppDeps {
  readonly gatewayId: string;
  readonly directory: () => DirectoryView;
  readonly ensureDirectoryFresh: () => void;
  readonly informationSystems: IsAuthenticator;
  readonly signerFor: (member: string) => SigningIdentity | undefined;
  readonly signers: SignerCache;
  readonly peers: PeerClient;
  readonly messageIds: MessageIdClaims;
  readonly audit: AuditLog;
  readonly log: Logger;
  readonly clock: Clock;
  readonly maxBodyBytes: number;
  /** Told of every exchange once answered (the gateway's metrics). */
  readonly observe?: ExchangePipelineOptions['observe'];
  /** Longest accepted request target (X-Road lets servers cap the URI). */
  readonly maxUriLength?: number;
}

/**
 * The only request headers that travel to the provider gateway besides the ones the consumer sets
 * (`Einmal-Request`, `X-Road-Id`): the provider reads nothing else, everything the information
 * system declared travels in the signed claims, and a hop-by-hop header such as `Expect` or
 * `Connection` would break the forwarded request.
 */
const FORWARDED = ['content-type', 'accept', 'accept-language', HEADER.eidToken] as const;

/**
 * The client API (docs/protocol.md §2), compatible with the X-Road Message Protocol for REST v1: an
 * agency information system calls `/r1/{service id}[/path]`; the gateway authenticates it, signs the
 * request with the client member's key, sends it to the provider's gateway over mutual TLS, verifies
 * the signed response, commits its own audit record and only then returns the answer.
 */
export function createClientApp(deps: ClientAppDeps): Hono {
  const app = new Hono();
  const log = deps.log.child({ side: 'consumer' });
  const maxUri = deps.maxUriLength ?? 4096;

  // pr-rest: every answer of the client API carries a request id of its own (a UUID).
  app.use('*', async (c, next) => {
    await next();
    c.res.headers.set(HEADER.requestId, randomUUID());
  });

  app.get('/listClients', (c) => {
    deps.ensureDirectoryFresh();
    const directory = deps.directory().directory;
    // pr-meta: the federation's own instance unless `xRoadInstance` names another (which lists
    // none); a blank one is absent, as an X-Road security server reads it.
    const instance = c.req.query('xRoadInstance')?.trim() || directory.instance;
    const clients = listClients(directory, instance);
    // pr-meta: JSON when asked for, otherwise `text/xml` (whichever XML type was asked for).
    return preferredFormat(c.req.header('accept'), 'text/xml') === 'application/json'
      ? c.body(listClientsJson(clients), 200, { 'content-type': 'application/json; charset=utf-8' })
      : c.body(listClientsXml(clients), 200, { 'content-type': 'text/xml; charset=utf-8' });
  });

  const exchanges = exchangePipeline(
    {
      side: 'consumer',
      gatewayId: deps.gatewayId,
      audit: deps.audit,
      log,
      clock: deps.clock,
      maxBodyBytes: deps.maxBodyBytes,
      observe: deps.observe,
    },
    async (exchange, c) => {
      const { trace, query } = exchange;
      const path = exchange.rawPath;
      if (path.length + query.length > maxUri) throw new EinmalError('Client.UriTooLong');
      if (!httpMethodSchema.safeParse(c.req.method).success) throw new EinmalError('Client.MethodNotAllowed');
      // One spelling per service path: aliases such as `%61ddress` are signed, sent and logged as
      // the canonical form, which is also the only one a provider accepts.
      const target = parseServicePath(path.slice('/r1/'.length));
      trace.path = target.canonical;
      const service = printServiceId(target.service);
      trace.service = service;
      const context = parseClientRequestHeaders((name) => c.req.header(name));
      const client = printClientId(context.client);
      trace.client = client;
      trace.subject = subjectOf(context.eidToken, context.subject);
      const incoming = (c.env as { incoming?: { socket?: Socket & { encrypted?: boolean } } } | undefined)
        ?.incoming;
      await deps.informationSystems.authenticate(
        peerIdentityOf(incoming?.socket),
        Boolean(incoming?.socket?.encrypted),
        client,
      );
      deps.ensureDirectoryFresh();
      const view = deps.directory();
      if (!view.gatewayHosting(client) || view.gatewayHosting(client)?.id !== deps.gatewayId) {
        throw new EinmalError('Client.UnknownClient', { detail: 'client not hosted by this gateway' });
      }
      const serviceEntry = view.service(service);
      const provider = view.gatewayHosting(printSubsystemId(target.service));
      // X-Road names a provider subsystem no gateway hosts an unknown member, whatever the service.
      if (!provider) throw new EinmalError('Server.ClientProxy.UnknownMember');
      if (!serviceEntry && !metaserviceCalled(target.service.serviceCode, c.req.method))
        throw new EinmalError('Server.ClientProxy.UnknownService');
      // The directory says which services' records may be hidden; whether this client may hide
      // them is the provider's access rule, checked there.
      if (
        (context.hiddenUntil !== undefined || context.hiddenReason !== undefined) &&
        !serviceEntry?.hideable
      ) {
        throw new EinmalError('Client.InvalidHiding');
      }
      const signer = deps.signerFor(printMemberId(context.client));
      if (!signer) throw new EinmalError('Server.ClientProxy.NoSigningKey');

      const body = await exchange.readBody();
      const claims: RequestClaims = {
        v: 2,
        id: context.messageId === undefined ? randomUUID() : exchangeMessageId(client, context.messageId),
        iat: Math.floor(deps.clock() / 1000),
        client,
        service,
        method: c.req.method,
        path: target.canonical,
        // The query's values may be personal data and the signed request is logged: only its digest.
        query: sha256Base64Url(query),
        body: sha256Base64Url(body),
        userId: context.userId ?? null,
        issue: context.issue ?? null,
        subject: context.subject ?? null,
        purpose: context.purpose ?? null,
        legalBasis: context.legalBasis ?? null,
        consentRef: context.consentRef ?? null,
        hiddenUntil: context.hiddenUntil ?? null,
        hiddenReason: context.hiddenReason ?? null,
        eid: context.eidToken ? sha256Base64Url(context.eidToken) : null,
      };
      const signed = signRequestClaims(claims, signer);
      if (signed.length > MAX_SIGNED_ENVELOPE_LENGTH) {
        throw new EinmalError('Client.RequestNotLoggable', {
          message: `The signed request would be longer than the ${MAX_SIGNED_ENVELOPE_LENGTH} characters the audit log holds`,
          detail: { length: signed.length },
        });
      }
      const request = digestEnvelope(signed);
      trace.claims = claims;
      trace.request = request;
      // Nothing leaves before the record of this exchange is known to be writable as signed, and
      // before this gateway has claimed the message id (never sent twice, to any provider).
      checkLoggable(exchange.outcome(200), 'Client.RequestNotLoggable');
      if (!(await deps.messageIds.claim(claims.id, client)))
        throw new EinmalError('Client.DuplicateMessageId');

      const headers: Record<string, string> = {};
      for (const name of FORWARDED) {
        const value = c.req.header(name);
        if (value !== undefined) headers[name] = value;
      }
      headers[HEADER.request] = request.jws;
      headers[HEADER.messageId] = claims.id;
      const answer = await deps.peers.send({
        address: provider.address,
        fingerprints: provider.authCertificateFingerprints,
        method: c.req.method,
        pathAndQuery: query ? `${target.canonical}?${query}` : target.canonical,
        headers,
        body,
      });
      if (answer.status < 200 || answer.status > 599) {
        throw new EinmalError('Server.ClientProxy.InvalidResponse', { detail: { status: answer.status } });
      }

      const responseJws = headerValue(answer, HEADER.response);
      const providerError = refusalCode(answer, responseJws);
      if (providerError) {
        // The provider refused or failed before signing; its X-Road error passes through unchanged.
        await exchange.record(answer.status, { errorCode: providerError, failed: answer.status >= 500 });
        return passThrough(answer, claims, request.jws, context.messageId);
      }
      verifyResponse({
        signers: deps.signers,
        answer,
        responseJws,
        request,
        claims,
        providerMember: memberOfPrinted(service),
      });
      await exchange.record(answer.status, { responseJws });
      return passThrough(answer, claims, request.jws, context.messageId);
    },
  );
  app.all('/r1/*', exchanges);

  app.all('*', errorHandlers({ log: deps.log }).notFound);
  return app;
}

/**
 * The data subject of a request, for the consumer's own record. The token is not verified here: the
 * provider verifies it, and its signed answer is bound to the token's digest, so an `ok` record's
 * subject is the verified one. A declared subject must equal the token's.
 */
function subjectOf(token: string | undefined, declared: string | undefined): string | null {
  if (!token) return declared ?? null;
  const payload = decodeCompactJws(token)?.payload as { sub?: unknown } | undefined;
  const sub =
    typeof payload?.sub === 'string' && subjectIdSchema.safeParse(payload.sub).success ? payload.sub : null;
  if (declared !== undefined && declared !== sub) throw new EinmalError('Client.SubjectMismatch');
  return sub;
}

function headerValue(answer: PeerResponse, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The provider's unsigned refusal: an error status with a known code in `X-Road-Error` and no
 * `Einmal-Response`. Anything else unsigned (a 2xx, an unknown code) is no refusal but a response
 * that fails verification: passed through, it would hand the information system an answer logged
 * as refused, or logged as a success without the provider's signature.
 */
function refusalCode(answer: PeerResponse, responseJws: string | undefined): ErrorCode | undefined {
  const type = headerValue(answer, HEADER.error);
  if (responseJws || answer.status < 400 || type === undefined || !isErrorCode(type)) return undefined;
  return type;
}

/**
 * The answer to the information system, with the X-Road response headers: `X-Road-Id` is the id
 * the client chose, or the exchange's own when it chose none.
 */
function passThrough(
  answer: PeerResponse,
  claims: RequestClaims,
  requestJws: string,
  chosenId: string | undefined,
): Response {
  const headers = new Headers();
  const contentType = headerValue(answer, 'content-type');
  if (contentType) headers.set('content-type', contentType);
  const error = headerValue(answer, HEADER.error);
  if (error) headers.set(HEADER.error, error);
  headers.set(HEADER.messageId, chosenId ?? claims.id);
  headers.set(HEADER.client, claims.client);
  headers.set(HEADER.service, claims.service);
  // Binds the answer to the exact signed request (X-Road pr-rest: base64 SHA-512).
  headers.set(HEADER.requestHash, hash('sha512', requestJws, 'base64'));
  return new Response(answer.body, { status: answer.status, headers });
}
