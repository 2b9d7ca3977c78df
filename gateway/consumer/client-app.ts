import { createHash, randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { Hono } from 'hono';
import { EinmalError, type ErrorCode, isErrorCode, type Logger } from '../../core/index.ts';
import {
  HEADER,
  httpMethodSchema,
  MAX_SIGNED_ENVELOPE_LENGTH,
  parseClientRequestHeaders,
  parseServicePath,
  printClientId,
  printServiceId,
  type RequestClaims,
  responseClaimsSchema,
  subjectIdSchema,
} from '../../schemas/index.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { checkLoggable, exchangeRecord, loggableRejection } from '../audit/exchange-record.ts';
import type { DirectoryView } from '../directory-view.ts';
import { decodeCompactJws, sha256Base64Url, verifyJwsSignature } from '../exchange/compact-jws.ts';
import { decodeResponseEnvelope, type SigningIdentity, signRequestClaims } from '../exchange/envelopes.ts';
import type { SignerCache } from '../exchange/signer-cache.ts';
import { rawTarget, readBody } from '../http/read-body.ts';
import { respondNotFound, respondRejected } from '../http/respond-error.ts';
import { METASERVICE_CODES } from '../provider/metaservices.ts';
import { peerIdentityOf } from '../tls/peer-certificate.ts';
import type { IsAuthenticator } from './information-systems.ts';
import { listClientsDocument } from './list-clients.ts';
import type { MessageIdClaims } from './message-id-claims.ts';
import type { PeerClient, PeerResponse } from './peer-client.ts';

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
  readonly clock: () => number;
  readonly maxBodyBytes: number;
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
 * The client API (DESIGN.md §4), compatible with the X-Road Message Protocol for REST v1: an
 * agency information system calls `/r1/{service id}[/path]`; the gateway authenticates it, signs the
 * request with the client member's key, sends it to the provider's gateway over mutual TLS, verifies
 * the signed response, commits its own audit record and only then returns the answer.
 */
export function createClientApp(deps: ClientAppDeps): Hono {
  const app = new Hono();
  const log = deps.log.child({ side: 'consumer' });
  const maxUri = deps.maxUriLength ?? 4096;

  app.get('/listClients', (c) => {
    deps.ensureDirectoryFresh();
    return c.json(listClientsDocument(deps.directory().directory));
  });

  app.all('/r1/*', async (c) => {
    const { path, query } = rawTarget(c);
    let claims: RequestClaims | undefined;
    let requestJws: string | undefined;
    let canonicalPath: string | undefined;
    let client: string | undefined;
    let service: string | undefined;
    let subject: string | null = null;
    const outcome = (
      status: number,
      extra: { errorCode?: ErrorCode; failed?: boolean; responseJws?: string },
    ) =>
      exchangeRecord({
        side: 'consumer',
        gateway: deps.gatewayId,
        now: deps.clock(),
        method: c.req.method,
        path: canonicalPath ?? path,
        claims,
        client,
        service,
        subject,
        requestJws,
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
      if (path.length + query.length > maxUri) throw new EinmalError('Client.UriTooLong');
      if (!httpMethodSchema.safeParse(c.req.method).success) throw new EinmalError('Client.MethodNotAllowed');
      // One spelling per service path: aliases such as `%61ddress` are signed, sent and logged as
      // the canonical form, which is also the only one a provider accepts.
      const target = parseServicePath(path.slice('/r1/'.length));
      canonicalPath = target.canonical;
      service = printServiceId(target.service);
      const context = parseClientRequestHeaders((name) => c.req.header(name));
      client = printClientId(context.client);
      subject = subjectOf(context.eidToken, context.subject);
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
      const subsystem = `${target.service.instance}/${target.service.memberClass}/${target.service.memberCode}/${target.service.subsystemCode}`;
      const provider = view.gatewayHosting(subsystem);
      const isMetaservice =
        target.service.serviceVersion === undefined && METASERVICE_CODES.has(target.service.serviceCode);
      if ((!serviceEntry && !isMetaservice) || !provider)
        throw new EinmalError('Server.ClientProxy.UnknownService');
      // The directory says which services' records may be hidden; whether this client may hide
      // them is the provider's access rule, checked there.
      if (
        (context.hiddenUntil !== undefined || context.hiddenReason !== undefined) &&
        !serviceEntry?.hideable
      ) {
        throw new EinmalError('Client.InvalidHiding');
      }
      const member = `${context.client.instance}/${context.client.memberClass}/${context.client.memberCode}`;
      const signer = deps.signerFor(member);
      if (!signer) throw new EinmalError('Server.ClientProxy.NoSigningKey');

      const body = await readBody(c, deps.maxBodyBytes);
      claims = {
        v: 1,
        id: context.messageId ?? randomUUID(),
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
      requestJws = signed;
      // Nothing leaves before the record of this exchange is known to be writable as signed, and
      // before this gateway has claimed the message id (never sent twice, to any provider).
      checkLoggable(outcome(200, {}), 'Client.RequestNotLoggable');
      if (!(await deps.messageIds.claim(claims.id, client)))
        throw new EinmalError('Client.DuplicateMessageId');

      const headers: Record<string, string> = {};
      for (const name of FORWARDED) {
        const value = c.req.header(name);
        if (value !== undefined) headers[name] = value;
      }
      headers[HEADER.request] = requestJws;
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
      const providerError = headerValue(answer, HEADER.error);
      if (!responseJws && providerError) {
        // The provider refused or failed before signing; its X-Road error passes through unchanged.
        await record(answer.status, { errorCode: knownCode(providerError), failed: answer.status >= 500 });
        return passThrough(answer, claims, requestJws);
      }
      verifyResponse(deps, answer, responseJws, requestJws, claims, serviceOwner(service));
      await record(answer.status, { responseJws });
      return passThrough(answer, claims, requestJws);
    } catch (thrown) {
      return respondRejected(thrown, { log, fallback: 'Server.ClientProxy.InternalError', record });
    }
  });

  app.all('*', (c) => respondNotFound(c.req.path, deps.log));
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

const serviceOwner = (service: string): string => service.split('/').slice(0, 3).join('/');

function headerValue(answer: PeerResponse, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const knownCode = (type: string): ErrorCode | undefined => (isErrorCode(type) ? type : undefined);

/** The consumer's check of the provider's signed response (DESIGN.md §5). */
function verifyResponse(
  deps: ClientAppDeps,
  answer: PeerResponse,
  responseJws: string | undefined,
  requestJws: string,
  claims: RequestClaims,
  providerMember: string,
): void {
  if (!responseJws)
    throw new EinmalError('Server.ClientProxy.InvalidResponse', { detail: 'response not signed' });
  // The envelope's form first: one the log could not hold as signed is refused, never served.
  const envelope = decodeResponseEnvelope(responseJws);
  if (!envelope.ok) {
    throw new EinmalError('Server.ClientProxy.ResponseSignature', { detail: envelope.problem });
  }
  const decoded = envelope.jws;
  const parsed = responseClaimsSchema.safeParse(decoded.payload);
  if (!parsed.success) {
    throw new EinmalError('Server.ClientProxy.ResponseSignature', { detail: 'malformed response claims' });
  }
  const signer = deps.signers.resolve(decoded.header.x5c, 'Server.ClientProxy');
  if (!verifyJwsSignature(decoded, signer.publicKey) || signer.member !== providerMember) {
    throw new EinmalError('Server.ClientProxy.ResponseSignature', { detail: { signer: signer.member } });
  }
  const response = parsed.data;
  if (
    response.id !== claims.id ||
    response.req !== sha256Base64Url(requestJws) ||
    response.status !== answer.status ||
    response.body !== sha256Base64Url(answer.body)
  ) {
    throw new EinmalError('Server.ClientProxy.InvalidResponse', {
      detail: 'response does not match its signature',
    });
  }
}

/** The answer to the information system, with the X-Road response headers. */
function passThrough(answer: PeerResponse, claims: RequestClaims, requestJws: string): Response {
  const headers = new Headers();
  const contentType = headerValue(answer, 'content-type');
  if (contentType) headers.set('content-type', contentType);
  const error = headerValue(answer, HEADER.error);
  if (error) headers.set(HEADER.error, error);
  headers.set(HEADER.messageId, claims.id);
  headers.set(HEADER.client, claims.client);
  headers.set(HEADER.service, claims.service);
  // Binds the answer to the exact signed request (X-Road pr-rest: base64 SHA-512).
  headers.set(HEADER.requestHash, createHash('sha512').update(requestJws).digest('base64'));
  return new Response(answer.body, { status: answer.status, headers });
}
