import type {
  Directory,
  DirectoryEidIssuer,
  DirectoryGateway,
  DirectoryMember,
  DirectoryService,
} from './directory.ts';
import {
  type ClientId,
  clientOfService,
  type GatewayId,
  type MemberId,
  printClientId,
  printGatewayId,
  printMemberId,
  printServiceId,
  printSubsystemId,
  type ServiceId,
} from './identifiers.ts';

/** Constant-time-enough lookups over one directory version, built once per verified directory. */
export interface DirectoryIndex {
  readonly directory: Directory;
  findMember(id: MemberId | string): DirectoryMember | undefined;
  findGateway(id: GatewayId | string): DirectoryGateway | undefined;
  /** Every gateway listing the client (a member-level client matches only itself, not its subsystems). */
  gatewaysHostingClient(id: ClientId | string): readonly DirectoryGateway[];
  findService(id: ServiceId | string): DirectoryService | undefined;
  /** The gateway hosting the service's subsystem, i.e. where the consumer sends the request. */
  findServiceProvider(id: ServiceId): DirectoryGateway | undefined;
  /** Whether the directory lists the serial of a certificate issued by `issuerDn` as revoked. */
  isRevoked(issuerDn: string, serialHex: string): boolean;
  /** Printed ids (`INSTANCE/GROUPCODE`) of the global groups the client belongs to. */
  groupsOf(id: ClientId | string): readonly string[];
  /** The gateway whose authentication certificate has this SHA-256 fingerprint. */
  gatewayByFingerprint(sha256Hex: string): DirectoryGateway | undefined;
  findIssuer(iss: string): DirectoryEidIssuer | undefined;
}

/** A serial number in one spelling: lower-case hex without `:` separators or leading zeros. */
function normaliseSerial(serialHex: string): string {
  const hex = serialHex.toLowerCase().replaceAll(':', '').replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}

/** A fingerprint in one spelling: lower-case hex without `:` separators. */
function normaliseFingerprint(fingerprint: string): string {
  return fingerprint.toLowerCase().replaceAll(':', '');
}

function addTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Builds the lookups gateways and the registry need on every request. The directory must already
 * have passed `directorySchema`.
 * @example
 * const index = indexDirectory(directory);
 * index.findServiceProvider(parseServiceId('DEMO/GOV/residents-office/register/address-v1'))?.address
 */
export function indexDirectory(directory: Directory): DirectoryIndex {
  const members = new Map(directory.members.map((member) => [member.id, member]));
  const gateways = new Map(directory.gateways.map((gateway) => [gateway.id, gateway]));
  const services = new Map(directory.services.map((service) => [service.id, service]));
  const issuers = new Map(directory.eidIssuers.map((issuer) => [issuer.issuer, issuer]));
  const revoked = new Set(
    directory.revokedCertificates.map((entry) => `${entry.issuer}\n${normaliseSerial(entry.serialNumber)}`),
  );
  const byClient = new Map<string, DirectoryGateway[]>();
  const byFingerprint = new Map<string, DirectoryGateway>();
  for (const gateway of directory.gateways) {
    for (const client of gateway.clients) addTo(byClient, client, gateway);
    for (const fingerprint of gateway.authCertificateFingerprints) byFingerprint.set(fingerprint, gateway);
  }
  const groups = new Map<string, string[]>();
  for (const group of directory.groups) {
    for (const client of group.members) addTo(groups, client, group.id);
  }

  const printed = <T>(id: T | string, print: (id: T) => string) => (typeof id === 'string' ? id : print(id));

  return {
    directory,
    findMember: (id) => members.get(printed(id, printMemberId)),
    findGateway: (id) => gateways.get(printed(id, printGatewayId)),
    gatewaysHostingClient: (id) => byClient.get(printed(id, printClientId)) ?? [],
    findService: (id) => services.get(printed(id, printServiceId)),
    findServiceProvider: (id) => byClient.get(printSubsystemId(clientOfService(id)))?.[0],
    isRevoked: (issuerDn, serialHex) => revoked.has(`${issuerDn}\n${normaliseSerial(serialHex)}`),
    groupsOf: (id) => groups.get(printed(id, printClientId)) ?? [],
    gatewayByFingerprint: (sha256Hex) => byFingerprint.get(normaliseFingerprint(sha256Hex)),
    findIssuer: (iss) => issuers.get(iss),
  };
}
