import { EinmalError } from '../core/errors/index.ts';
import { type MemberId, parseMemberId } from './identifiers.ts';

const URN_PREFIX = 'urn:einmal:';
// Three parts of at most 64 characters and two separators.
const MAX_URN_LENGTH = URN_PREFIX.length + 3 * 64 + 2;

/**
 * The member URN carried in a signing certificate's SAN URI (RFC 5280 §4.2.1.6), so a signature proves which
 * member signed. Identifier parts cannot contain `:`, so the URN splits back unambiguously.
 * @example memberUrn(parseMemberId('DEMO/GOV/munich')) // 'urn:einmal:DEMO:GOV:munich'
 */
export function memberUrn(member: MemberId): string {
  return `${URN_PREFIX}${member.instance}:${member.memberClass}:${member.memberCode}`;
}

/**
 * Parses a member URN such as `urn:einmal:DEMO:GOV:munich`. Its parts follow the identifier rules
 * and are never percent-encoded, so each member has exactly one URN.
 * @throws EinmalError `Client.InvalidIdentifier`
 */
export function parseMemberUrn(urn: string): MemberId {
  const invalid = (message: string) => new EinmalError('Client.InvalidIdentifier', { message });
  if (typeof urn !== 'string' || !urn.startsWith(URN_PREFIX)) {
    throw invalid(`Member URN must start with "${URN_PREFIX}"`);
  }
  if (urn.length > MAX_URN_LENGTH) throw invalid('Member URN is too long');
  const rest = urn.slice(URN_PREFIX.length);
  if (rest.includes('%') || rest.includes('/')) throw invalid('Member URN parts must not contain "%" or "/"');
  const parts = rest.split(':');
  if (parts.length !== 3) throw invalid('Member URN must have the form urn:einmal:INSTANCE:CLASS:MEMBER');
  return parseMemberId(parts.join('/'));
}
