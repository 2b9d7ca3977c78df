import { EinmalError } from '../../core/index.ts';
import type { EidVerifier, VerifiedEidToken } from '../eid/index.ts';

/** What reading one's own log requires of the citizen's eID token (docs/protocol.md §12.1). */
export const AUDIT_READ_POLICY = { requiredLoa: 'substantial', scope: 'audit.read' } as const;

/**
 * Admits a citizen by their own eID access token (`Authorization: Bearer`), verified like any
 * token (docs/protocol.md §4.1) with scope `audit.read` at level substantial or higher. No token is
 * `Client.Unauthenticated`; a bad one carries the verifier's code (`...TokenExpired`, `...TokenScope`).
 *
 * @example
 * const { subject } = await authenticateCitizen(c.req.header('authorization'), eid);
 */
export async function authenticateCitizen(
  authorization: string | undefined,
  eid: EidVerifier,
): Promise<VerifiedEidToken> {
  const match = /^Bearer ([^\s]+)$/.exec(authorization ?? '');
  if (!match) throw new EinmalError('Client.Unauthenticated', { message: 'An eID access token is required' });
  return eid.verify(match[1]!, AUDIT_READ_POLICY);
}
