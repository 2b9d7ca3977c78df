import { createHash, timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { HttpBindings } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import type { ChainVerifier } from '../certs/index.ts';
import { type Clock, EinmalError } from '../core/index.ts';

/** Who the admin API is talking to. */
export type Operator =
  | { readonly via: 'certificate'; readonly fingerprint: string }
  | { readonly via: 'token' };

/** Hono env of the admin app: node-server's bindings and the authenticated operator. */
export interface AdminEnv {
  Bindings: Partial<HttpBindings>;
  Variables: { operator: Operator };
}

export interface OperatorAuthSettings {
  /** Checks a client certificate chains to the federation and carries the operator profile. */
  readonly verifier?: ChainVerifier | undefined;
  /** Development only: a bearer token that also admits an operator. */
  readonly devToken?: string | undefined;
  readonly clock: Clock;
}

// The peer certificate is read once per TLS connection: getPeerCertificate is costly.
const peerCertificates = new WeakMap<object, Uint8Array | null>();

function peerCertificate(bindings: Partial<HttpBindings> | undefined): Uint8Array | null {
  const socket = bindings?.incoming?.socket as TLSSocket | undefined;
  if (!socket || typeof socket.getPeerCertificate !== 'function') return null;
  let der = peerCertificates.get(socket);
  if (der === undefined) {
    const raw = socket.getPeerCertificate(false)?.raw;
    der = raw && raw.length > 0 ? new Uint8Array(raw) : null;
    peerCertificates.set(socket, der);
  }
  return der;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Admits the federation operator (docs/architecture.md §1): a TLS client certificate issued for the
 * `operator` profile by a federation CA, or, only when configured for development, the operator
 * token as `Authorization: Bearer`. No credential is `Client.Unauthenticated` (401); a certificate
 * of another profile or an unknown CA is `Registry.NotOperator` (403).
 *
 * @example
 * admin.use('/admin/*', operatorAuth({ verifier, clock: systemClock }));
 */
export function operatorAuth(settings: OperatorAuthSettings): MiddlewareHandler<AdminEnv> {
  const expectedToken = settings.devToken ? digest(settings.devToken) : undefined;
  return async function requireOperator(c, next) {
    const der = peerCertificate(c.env);
    if (der && settings.verifier) {
      try {
        const verified = settings.verifier.verify(der, { usage: 'operator', at: new Date(settings.clock()) });
        c.set('operator', { via: 'certificate', fingerprint: verified.fingerprint });
        return next();
      } catch (cause) {
        throw new EinmalError('Registry.NotOperator', {
          cause,
          detail: { reason: (cause as Error).message },
        });
      }
    }
    const authorization = c.req.header('authorization');
    if (expectedToken && authorization?.startsWith('Bearer ')) {
      if (timingSafeEqual(digest(authorization.slice(7)), expectedToken)) {
        c.set('operator', { via: 'token' });
        return next();
      }
      throw new EinmalError('Registry.NotOperator');
    }
    if (der) throw new EinmalError('Registry.NotOperator');
    throw new EinmalError('Client.Unauthenticated');
  };
}
