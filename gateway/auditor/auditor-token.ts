import { decodeJwt } from 'jose';
import { z } from 'zod';
import { EinmalError } from '../../core/index.ts';
import { type Directory, memberUrn, parseGatewayId } from '../../schemas/index.ts';
import type { EidVerifier } from '../eid/index.ts';

/** What an auditor's access token must carry beyond a valid signature: level and scope. */
export const AUDITOR_TOKEN_POLICY = { requiredLoa: 'substantial', scope: 'audit.search' } as const;

/** An auditor admitted by a staff login. */
export interface TokenAuditor {
  readonly via: 'staff-token';
  readonly issuer: string;
}

const staffClaims = z.object({
  roles: z.array(z.string().max(64)).max(32).optional(),
  entitlements: z.array(z.string().max(256)).max(256).optional(),
});

/**
 * Admits an auditor by the access token of their staff login (docs/protocol.md §12), so that a web front
 * end such as the portal can act for the auditor without holding a credential of its own. The
 * token must verify like every eID token (§6: trusted issuer, signature, audience, time) at level
 * substantial with scope `audit.search`; its issuer must be one the directory trusts to assert the
 * `auditor` role; its `roles` claim (RFC 9068 §7.2.1.1) must hold `auditor`; and its `entitlements`
 * must name this gateway's member (`urn:einmal:INSTANCE:CLASS:MEMBER`) or the whole instance
 * (`urn:einmal:INSTANCE`). So the gateway, not the front end, decides whose log an auditor reads.
 * Token failures carry the verifier's code; a valid token without these rights is `Audit.NotAuditor`.
 *
 * @example
 * const auditor = await authenticateAuditorToken(token, { eid, directory: () => view?.directory, gatewayId });
 */
export async function authenticateAuditorToken(
  token: string,
  deps: {
    readonly eid: EidVerifier;
    readonly directory: () => Directory | undefined;
    readonly gatewayId: string;
  },
): Promise<TokenAuditor> {
  const verified = await deps.eid.verify(token, AUDITOR_TOKEN_POLICY);
  const issuer = deps.directory()?.eidIssuers.find((entry) => entry.issuer === verified.issuer);
  if (!issuer?.roles?.includes('auditor')) {
    throw new EinmalError('Audit.NotAuditor', { detail: 'the issuer may not assert the auditor role' });
  }
  // The signature was verified above; the claims are read from the same token.
  const claims = staffClaims.safeParse(decodeJwt(token));
  if (!claims.success || !claims.data.roles?.includes('auditor')) {
    throw new EinmalError('Audit.NotAuditor', { detail: 'no auditor role' });
  }
  const gateway = parseGatewayId(deps.gatewayId);
  const entitled = claims.data.entitlements ?? [];
  if (!entitled.includes(memberUrn(gateway)) && !entitled.includes(`urn:einmal:${gateway.instance}`)) {
    throw new EinmalError('Audit.NotAuditor', { detail: 'not entitled to audit this member' });
  }
  return { via: 'staff-token', issuer: verified.issuer };
}
