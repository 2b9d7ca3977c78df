import {
  type Directory,
  type DirectoryGateway,
  type DirectoryService,
  parseMemberId,
  printClientId,
  subsystemOfPrinted,
} from '../schemas/index.ts';

/**
 * The lookups the gateway's request paths make in the current directory, built once per directory
 * version so each request costs a few map reads.
 */
export interface DirectoryView {
  readonly directory: Directory;
  gatewayById(id: string): DirectoryGateway | undefined;
  gatewayByFingerprint(fingerprint: string): DirectoryGateway | undefined;
  /** The gateway that hosts `client` (printed client id). */
  gatewayHosting(client: string): DirectoryGateway | undefined;
  service(id: string): DirectoryService | undefined;
  /** The services the directory gives a subsystem (printed `INSTANCE/CLASS/MEMBER/SUBSYSTEM`), by id. */
  servicesOf(subsystem: string): readonly DirectoryService[];
  /** Global groups (printed `INSTANCE/CODE`) that list `client`. */
  groupsOf(client: string): readonly string[];
  isRevokedSerial(serialNumber: string): boolean;
  isKnownClient(client: string): boolean;
}

/** Builds the lookup maps of one directory version. */
export function createDirectoryView(directory: Directory): DirectoryView {
  const gateways = new Map(directory.gateways.map((g) => [g.id, g]));
  const byFingerprint = new Map<string, DirectoryGateway>();
  const hosting = new Map<string, DirectoryGateway>();
  for (const gateway of directory.gateways) {
    for (const fp of gateway.authCertificateFingerprints) byFingerprint.set(fp, gateway);
    for (const client of gateway.clients) if (!hosting.has(client)) hosting.set(client, gateway);
  }
  const services = new Map(directory.services.map((s) => [s.id, s]));
  const bySubsystem = new Map<string, DirectoryService[]>();
  for (const service of [...directory.services].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const subsystem = subsystemOfPrinted(service.id);
    bySubsystem.set(subsystem, [...(bySubsystem.get(subsystem) ?? []), service]);
  }
  const groups = new Map<string, string[]>();
  for (const group of directory.groups) {
    for (const member of group.members) groups.set(member, [...(groups.get(member) ?? []), group.id]);
  }
  const revoked = new Set(directory.revokedCertificates.map((r) => r.serialNumber));
  const clients = new Set<string>();
  for (const member of directory.members) {
    clients.add(member.id);
    const memberId = parseMemberId(member.id);
    for (const subsystemCode of member.subsystems) clients.add(printClientId({ ...memberId, subsystemCode }));
  }
  return {
    directory,
    gatewayById: (id) => gateways.get(id),
    gatewayByFingerprint: (fp) => byFingerprint.get(fp),
    gatewayHosting: (client) => hosting.get(client),
    service: (id) => services.get(id),
    servicesOf: (subsystem) => bySubsystem.get(subsystem) ?? [],
    groupsOf: (client) => groups.get(client) ?? [],
    isRevokedSerial: (serial) => revoked.has(serial),
    isKnownClient: (client) => clients.has(client),
  };
}
