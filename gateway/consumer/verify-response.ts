import { EinmalError } from '../../core/index.ts';
import {
  type DigestedEnvelope,
  decodeResponseEnvelope,
  type SignerCache,
  sha256Base64Url,
  verifyJwsSignature,
} from '../../protocol/index.ts';
import { type RequestClaims, responseClaimsSchema } from '../../schemas/index.ts';

/** A provider gateway's answer as the consumer received it. */
export interface ReceivedAnswer {
  readonly status: number;
  readonly body: Uint8Array;
}

/**
 * The consumer's check of the provider's signed response (docs/protocol.md §6.2): the envelope's
 * form, the claims, the signer (a trusted, unrevoked signing certificate of the service's member),
 * the signature, and the binding of `id`, `req`, `status` and `body` to this request and answer.
 *
 * @throws EinmalError `Server.ClientProxy.InvalidResponse` or `Server.ClientProxy.ResponseSignature`
 * @example verifyResponse({ signers, answer, responseJws, request, claims, providerMember: 'DEMO/GOV/residents-office' });
 */
export function verifyResponse(input: {
  readonly signers: SignerCache;
  readonly answer: ReceivedAnswer;
  readonly responseJws: string | undefined;
  /** The signed request the response must be bound to. */
  readonly request: DigestedEnvelope;
  readonly claims: RequestClaims;
  /** The printed member that provides the service: the only one whose signature counts. */
  readonly providerMember: string;
}): void {
  const { answer, responseJws, request, claims } = input;
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
  const signer = input.signers.resolve(decoded.header.x5c, 'Server.ClientProxy');
  if (!verifyJwsSignature(decoded, signer.publicKey) || signer.member !== input.providerMember) {
    throw new EinmalError('Server.ClientProxy.ResponseSignature', { detail: { signer: signer.member } });
  }
  const response = parsed.data;
  if (
    response.id !== claims.id ||
    response.req !== request.digest ||
    response.status !== answer.status ||
    response.body !== sha256Base64Url(answer.body)
  ) {
    throw new EinmalError('Server.ClientProxy.InvalidResponse', {
      detail: 'response does not match its signature',
    });
  }
}
