import { type Clock, EinmalError } from '../../core/index.ts';
import {
  type DigestedEnvelope,
  decodeRequestEnvelope,
  digestEnvelope,
  type SignerCache,
  sha256Base64Url,
  verifyJwsSignature,
} from '../../protocol/index.ts';
import {
  type DirectoryService,
  HEADER,
  parseServicePath,
  printServiceId,
  printSubsystemId,
  type RequestClaims,
  requestClaimsSchema,
  type ServicePolicy,
} from '../../schemas/index.ts';
import { accessGrant } from '../access/access-rule.ts';
import type { AccessRuleCache } from '../access/access-rule-store.ts';
import type { DirectoryView } from '../directory-view.ts';
import type { ExchangeTrace } from '../exchange/exchange-pipeline.ts';
import type { PeerIdentity } from '../tls/peer-certificate.ts';
import { metaserviceCalled } from './metaservices.ts';
import type { ReplayGuard } from './replay-guard.ts';

/** The part of the eID token verifier (gateway/eid) the checks need. */
export interface EidTokenVerifier {
  verify(
    token: string,
    policy: { requiredLoa: DirectoryService['requiredLoa']; scope: string | null },
  ): Promise<{ subject: string }>;
}

/** A request as the provider gateway received it from a peer gateway. */
export interface IncomingPeerRequest {
  readonly method: string;
  /** The request path exactly as received, still percent-encoded. */
  readonly path: string;
  /** The raw query string without `?`. */
  readonly query: string;
  readonly body: Uint8Array;
  readonly header: (name: string) => string | undefined;
  readonly peer: PeerIdentity | null;
}

/** Everything the provider verified; the adapter learns only from this. */
export interface VerifiedRequest {
  readonly claims: RequestClaims;
  /** The signed request with its digest. */
  readonly request: DigestedEnvelope;
  /** The directory's entry of the service; `null` for a metaservice call. */
  readonly service: DirectoryService | null;
  /** The metaservice called (`listMethods`, `allowedMethods`, `getOpenAPI`), or `null`. */
  readonly metaservice: string | null;
  readonly callerGateway: string;
  /** The one data subject the adapter may answer about. */
  readonly subject: string | null;
  /** The service path inside the adapter (after the service id). */
  readonly servicePath: string;
}

export interface ProviderCheckDeps {
  /** Printed id of this gateway. */
  readonly gatewayId: string;
  readonly directory: () => DirectoryView;
  readonly hostsService: (serviceId: string) => boolean;
  readonly signers: SignerCache;
  readonly replay: ReplayGuard;
  readonly accessRules: AccessRuleCache;
  readonly eid: EidTokenVerifier;
  readonly clock: Clock;
  readonly skewSeconds: number;
}

/**
 * The provider's checks of docs/protocol.md §4, in order; the first failure throws its own error code.
 * `trace` collects what was learnt before a failure, so the rejection record says as much as is known.
 */
export async function checkPeerRequest(
  deps: ProviderCheckDeps,
  request: IncomingPeerRequest,
  trace: ExchangeTrace,
): Promise<VerifiedRequest> {
  const view = deps.directory();

  // 1. TLS peer: the TLS layer checked the chain; the certificate must be listed for a gateway.
  if (!request.peer) throw new EinmalError('Server.ServerProxy.UntrustedPeer');
  if (view.isRevokedSerial(request.peer.serialNumber)) {
    throw new EinmalError('Server.ServerProxy.UntrustedPeer', {
      detail: 'revoked authentication certificate',
    });
  }
  const caller = view.gatewayByFingerprint(request.peer.fingerprint);
  if (!caller)
    throw new EinmalError('Server.ServerProxy.UnknownGateway', { detail: request.peer.fingerprint });
  trace.callerGateway = caller.id;

  // The service addressed by the URL must be one this gateway provides, named in the one
  // canonical spelling the consumer signs and both sides log.
  const target = parseServicePath(request.path.replace(/^\/r1\//, ''));
  const serviceId = printServiceId(target.service);
  trace.service = serviceId;
  if (target.canonical !== request.path) {
    // The log names the service, not the canonical path: the path after it may name a citizen.
    throw new EinmalError('Server.ServerProxy.NonCanonicalPath', { detail: { service: serviceId } });
  }
  const service = view.service(serviceId) ?? null;
  const metaservice = service ? null : metaserviceCalled(target.service.serviceCode, request.method);
  // A metaservice answers for every subsystem the directory has this gateway host (one without
  // services too: its lists are empty); a service only where an adapter serves it.
  const hosted = metaservice
    ? view.gatewayHosting(printSubsystemId(target.service))?.id === deps.gatewayId
    : service !== null && deps.hostsService(serviceId);
  if (!hosted) throw new EinmalError('Server.ServerProxy.UnknownService');

  // 2. Signature: a well-formed envelope (one the log holds as it is), a valid signature by an
  //    approved, unrevoked signing certificate of the client's member, claims that match the
  //    schema, and the calling gateway hosts that client.
  const requestJws = request.header(HEADER.request);
  if (!requestJws) throw new EinmalError('Server.ServerProxy.MissingSignature');
  const signedRequest = digestEnvelope(requestJws);
  trace.request = signedRequest;
  const envelope = decodeRequestEnvelope(requestJws);
  if (!envelope.ok) {
    throw new EinmalError('Server.ServerProxy.MalformedSignature', { detail: envelope.problem });
  }
  const decoded = envelope.jws;
  const signer = deps.signers.resolve(decoded.header.x5c, 'Server.ServerProxy');
  if (!verifyJwsSignature(decoded, signer.publicKey))
    throw new EinmalError('Server.ServerProxy.InvalidSignature');
  const parsed = requestClaimsSchema.safeParse(decoded.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EinmalError('Server.ServerProxy.InvalidClaims', {
      message: `The signed claim ${issue?.path.join('.') || 'set'} does not match the schema`,
      detail: parsed.error.issues.map((i) => i.path.join('.')),
    });
  }
  const claims = parsed.data;
  trace.claims = claims;
  if (!isMemberOf(claims.client, signer.member)) {
    throw new EinmalError('Server.ServerProxy.SignerMismatch', { detail: { signer: signer.member } });
  }
  if (!caller.clients.includes(claims.client)) {
    throw new EinmalError('Server.ServerProxy.ClientNotHosted', { detail: { gateway: caller.id } });
  }

  // 3. Binding: the signed claims describe exactly this HTTP request; fresh; never seen before.
  if (
    claims.method !== request.method ||
    claims.path !== request.path ||
    claims.query !== sha256Base64Url(request.query) ||
    claims.service !== serviceId ||
    claims.body !== sha256Base64Url(request.body)
  ) {
    throw new EinmalError('Server.ServerProxy.BindingMismatch');
  }
  const nowSeconds = deps.clock() / 1000;
  if (Math.abs(nowSeconds - claims.iat) > deps.skewSeconds)
    throw new EinmalError('Server.ServerProxy.StaleRequest');
  if (!deps.replay.claim(claims.id)) throw new EinmalError('Server.ServerProxy.Replay');
  // Metaservices describe the provider's services; the adapter is not involved and no subject is,
  // so there is no access to hide.
  if (!service) {
    if (claims.hiddenUntil !== null || claims.hiddenReason !== null) {
      throw new EinmalError('Server.ServerProxy.HidingNotAllowed');
    }
    return {
      claims,
      request: signedRequest,
      service,
      metaservice,
      callerGateway: caller.id,
      subject: null,
      servicePath: target.path,
    };
  }

  // 4. Access rights, and with them the grant to hide the access from its subject.
  const { rules, localGroups } = await deps.accessRules.current(claims.client);
  const grant = accessGrant(rules, {
    client: claims.client,
    globalGroups: view.groupsOf(claims.client),
    localGroups,
    service: serviceId,
    method: request.method,
    path: target.path,
  });
  if (!grant.granted) throw new EinmalError('Server.ServerProxy.AccessDenied');

  // 5. Service policy.
  checkServicePolicy(service, claims, grant.mayHide);

  // 6. eID token, bound to the signed digest; with a token, its subject is the only subject.
  let subject = claims.subject;
  const token = request.header(HEADER.eidToken);
  if (claims.eid !== null || token !== undefined) {
    if (token === undefined || claims.eid === null || sha256Base64Url(token) !== claims.eid) {
      throw new EinmalError('Server.ServerProxy.TokenBinding');
    }
    const verified = await deps.eid.verify(token, {
      requiredLoa: service.requiredLoa,
      scope: service.eidScope,
    });
    if (claims.subject !== null && claims.subject !== verified.subject) {
      throw new EinmalError('Server.ServerProxy.SubjectMismatch');
    }
    subject = verified.subject;
  }
  trace.subject = subject;
  return {
    claims,
    request: signedRequest,
    service,
    metaservice,
    callerGateway: caller.id,
    subject,
    servicePath: target.path,
  };
}

/**
 * docs/protocol.md §4, check 6: purpose, legal basis or eID, and hiding, against the service's policy and
 * the client's grant (docs/protocol.md §2.1: hiding only where the service allows it and the client is
 * granted it).
 */
export function checkServicePolicy(
  service: ServicePolicy,
  claims: Pick<RequestClaims, 'purpose' | 'legalBasis' | 'hiddenUntil' | 'hiddenReason' | 'eid' | 'subject'>,
  mayHide: boolean,
): void {
  if (claims.purpose !== null && !service.purposes.some((p) => p.code === claims.purpose)) {
    throw new EinmalError('Server.ServerProxy.PurposeNotAllowed');
  }
  if (claims.legalBasis !== null && !service.legalBases.some((b) => b.code === claims.legalBasis)) {
    throw new EinmalError('Server.ServerProxy.LegalBasisNotAllowed');
  }
  if (claims.hiddenUntil !== null || claims.hiddenReason !== null) {
    if (!service.hideable) throw new EinmalError('Server.ServerProxy.HidingNotAllowed');
    if (!mayHide) throw new EinmalError('Server.ServerProxy.HidingNotGranted');
  }
  if (!service.personalData) return;
  if (claims.purpose === null) throw new EinmalError('Server.ServerProxy.PurposeRequired');
  const byToken = claims.eid !== null;
  const byDeclaration = claims.subject !== null && claims.legalBasis !== null;
  if (!byToken && !byDeclaration) throw new EinmalError('Server.ServerProxy.AuthorizationRequired');
}

const isMemberOf = (client: string, member: string): boolean =>
  client === member || client.startsWith(`${member}/`);
