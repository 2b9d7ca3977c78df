import { createHash, timingSafeEqual } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import type { CertificateProfile, VerifiedCertificate } from '../../certs/index.ts';
import { EinmalError, type ErrorCode } from '../../core/index.ts';
import { peerIdentityOf } from '../tls/peer-certificate.ts';

/** Checks a client certificate against the federation's trust store for one profile (certs/ chain verifier). */
export type VerifyCertificate = (der: Uint8Array, usage: CertificateProfile) => VerifiedCertificate;

/** Who is reading or changing the log through the public listener with more than a citizen's rights. */
export type Controller =
  | { readonly via: 'certificate'; readonly profile: CertificateProfile; readonly fingerprint: string }
  | { readonly via: 'token' };

/** The TLS client certificate of the connection (DER), `null` without one; read once per connection. */
export function clientCertificateOf(env: Partial<HttpBindings> | undefined): Uint8Array | null {
  const identity = peerIdentityOf(env?.incoming?.socket);
  return identity ? new Uint8Array(identity.raw) : null;
}

/**
 * Admits a caller holding a TLS client certificate of one of `profiles` that chains to the
 * federation CA, is valid now and not revoked. No certificate is `Client.Unauthenticated` (401);
 * any other certificate is `refusal` (403).
 *
 * @example
 * const auditor = requireCertificate(c.env, verify, ['auditor'], 'Audit.NotAuditor');
 */
export function requireCertificate(
  env: Partial<HttpBindings> | undefined,
  verify: VerifyCertificate,
  profiles: readonly CertificateProfile[],
  refusal: ErrorCode,
): Controller {
  const der = clientCertificateOf(env);
  if (!der) throw new EinmalError('Client.Unauthenticated');
  const failures: string[] = [];
  for (const profile of profiles) {
    try {
      const verified = verify(der, profile);
      return { via: 'certificate', profile, fingerprint: verified.fingerprint };
    } catch (cause) {
      failures.push(`${profile}: ${(cause as Error).message}`);
    }
  }
  throw new EinmalError(refusal, { detail: failures });
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Admits the data controller (docs/protocol.md §12.2, `POST /v3/disclose`): an auditor's or operator's
 * certificate, or the gateway's admin token as `Authorization: Bearer`.
 */
export function requireController(
  env: Partial<HttpBindings> | undefined,
  authorization: string | undefined,
  verify: VerifyCertificate,
  adminToken: string | undefined,
): Controller {
  if (authorization?.startsWith('Bearer ')) {
    if (adminToken && timingSafeEqual(digest(authorization.slice(7)), digest(adminToken)))
      return { via: 'token' };
    throw new EinmalError('Audit.NotController');
  }
  return requireCertificate(env, verify, ['auditor', 'operator'], 'Audit.NotController');
}
