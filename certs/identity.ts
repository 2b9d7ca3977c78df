import { EinmalError } from '../core/errors/index.ts';
import {
  type ClientId,
  type MemberId,
  memberUrn,
  parseMemberUrn,
  parseSubsystemId,
  printMemberId,
  type SubsystemId,
} from '../schemas/index.ts';
import { x509 } from './x509.ts';

/**
 * The client URN of an information system's TLS client certificate:
 * `urn:einmal:INSTANCE:CLASS:MEMBER:SUBSYSTEM` (the member URN plus the subsystem code).
 */
export function subsystemUrn(client: SubsystemId): string {
  return `${memberUrn(client)}:${client.subsystemCode}`;
}

/** Reads a member URN, or a subsystem URN when `subsystem` is set; undefined when it is neither. */
function readUrn(urn: string, subsystem: boolean): MemberId | SubsystemId | undefined {
  try {
    if (!subsystem) return parseMemberUrn(urn);
    const cut = urn.lastIndexOf(':');
    const member = parseMemberUrn(urn.slice(0, cut));
    return parseSubsystemId(`${printMemberId(member)}/${urn.slice(cut + 1)}`);
  } catch {
    return undefined;
  }
}

const SAN_OID = '2.5.29.17';

/** The URIs in a subject alternative name extension, if any. */
export function sanUris(extensions: readonly x509.Extension[]): string[] {
  const san = extensions.find((e) => e.type === SAN_OID);
  if (!san) return [];
  const names = new x509.SubjectAlternativeNameExtension(san.rawData).names.items;
  return names.filter((n) => n.type === 'url').map((n) => n.value);
}

/** The einmal URNs of a SAN: members (3 parts) and subsystems (4 parts). */
export function sanIdentities(extensions: readonly x509.Extension[]): {
  members: MemberId[];
  subsystems: SubsystemId[];
} {
  const members: MemberId[] = [];
  const subsystems: SubsystemId[] = [];
  for (const uri of sanUris(extensions)) {
    const member = readUrn(uri, false);
    if (member) {
      members.push(member);
      continue;
    }
    const subsystem = readUrn(uri, true) as SubsystemId | undefined;
    if (subsystem) subsystems.push(subsystem);
  }
  return { members, subsystems };
}

/**
 * The member a certificate names in its SAN URI (`urn:einmal:INSTANCE:CLASS:MEMBER`); the member of
 * the subsystem for a client certificate. A certificate naming no member, or several, is
 * `Pki.NoMemberIdentity`.
 *
 * @example
 * printMemberId(memberOfCertificate(signingCert)) // 'DEMO/GOV/munich'
 */
export function memberOfCertificate(cert: x509.X509Certificate): MemberId {
  const { members, subsystems } = sanIdentities(cert.extensions);
  const all = [
    ...members,
    ...subsystems.map(({ instance, memberClass, memberCode }) => ({ instance, memberClass, memberCode })),
  ];
  const distinct = new Set(all.map(printMemberId));
  if (distinct.size !== 1) {
    throw new EinmalError('Pki.NoMemberIdentity', {
      message:
        distinct.size === 0 ? 'The certificate names no member' : 'The certificate names several members',
    });
  }
  return all[0]!;
}

/**
 * The information system (subsystem) a client TLS certificate names in its SAN URI
 * (`urn:einmal:INSTANCE:CLASS:MEMBER:SUBSYSTEM`); `Pki.NoMemberIdentity` when it names none or several.
 */
export function clientOfCertificate(cert: x509.X509Certificate): ClientId {
  const { subsystems } = sanIdentities(cert.extensions);
  if (subsystems.length !== 1) {
    throw new EinmalError('Pki.NoMemberIdentity', {
      message:
        subsystems.length === 0
          ? 'The certificate names no client subsystem'
          : 'The certificate names several clients',
    });
  }
  return subsystems[0]!;
}
