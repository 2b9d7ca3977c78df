import { createSignatureTrust, type SignatureTrust } from '../../audit/bundle/index.ts';
import { createChainVerifier } from '../../certs/index.ts';
import {
  type Directory,
  type DirectoryEidIssuer,
  type DirectoryService,
  memberOfPrinted,
} from '../../schemas/index.ts';

/** A gateway whose public listener (citizen and auditor APIs) the portal asks. */
export interface PortalGateway {
  readonly id: string;
  /** `INSTANCE/CLASS/MEMBER` of the agency that runs it. */
  readonly member: string;
  /** The agency's name from the directory (the member id when the directory names none). */
  readonly agency: string;
  readonly publicAddress: string;
}

/** What the portal reads from one verified directory. */
export interface FederationView {
  readonly directory: Directory;
  /** Every gateway with a public listener, in directory order. */
  readonly gateways: readonly PortalGateway[];
  /** The eID issuers citizens may log in with. */
  readonly issuers: readonly DirectoryEidIssuer[];
  /** The issuers trusted to assert the auditor role. */
  readonly auditorIssuers: readonly DirectoryEidIssuer[];
  /** The agency name of a member id, `null` when unknown. */
  memberName(member: string | null): string | null;
  service(id: string | null): DirectoryService | undefined;
  /**
   * Checks signatures (records, checkpoints, cosignatures) and their certificates against the
   * anchor, the approved CAs and the revocations of this directory.
   */
  readonly trust: SignatureTrust;
  /** PEM certificates to trust for the gateways' and the registry's TLS: the anchor and approved CAs. */
  readonly tlsCas: readonly string[];
  /** The configuration anchor (PEM). */
  readonly anchorPem: string;
}

/**
 * Reads what the portal needs from a directory that the directory client has verified against the
 * configuration anchor.
 *
 * @example
 * const view = createFederationView(directory.current()!, anchorPem);
 * for (const gateway of view.gateways) ...
 */
export function createFederationView(directory: Directory, anchorPem: string): FederationView {
  const names = new Map(directory.members.map((member) => [member.id, member.name]));
  const services = new Map(directory.services.map((service) => [service.id, service]));
  const gateways = directory.gateways.flatMap((gateway) => {
    if (!gateway.publicAddress) return [];
    const member = memberOfPrinted(gateway.id);
    return [
      {
        id: gateway.id,
        member,
        agency: names.get(member) ?? member,
        publicAddress: gateway.publicAddress.replace(/\/$/, ''),
      },
    ];
  });
  const cas = directory.approvedCas.map((ca) => ca.certificate);
  return {
    directory,
    gateways,
    issuers: directory.eidIssuers,
    auditorIssuers: directory.eidIssuers.filter((issuer) => issuer.roles?.includes('auditor')),
    memberName: (member) => (member ? (names.get(member) ?? null) : null),
    service: (id) => (id ? services.get(id) : undefined),
    trust: createSignatureTrust({
      verifier: createChainVerifier({
        anchors: [anchorPem],
        intermediates: cas,
        revokedSerials: directory.revokedCertificates,
      }),
    }),
    tlsCas: [anchorPem, ...cas],
    anchorPem,
  };
}
