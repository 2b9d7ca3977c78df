import { escapeXml } from '../../core/index.ts';
import { type Directory, parseMemberId } from '../../schemas/index.ts';

interface ClientEntry {
  readonly id: {
    readonly object_type: 'MEMBER' | 'SUBSYSTEM';
    readonly xroad_instance: string;
    readonly member_class: string;
    readonly member_code: string;
    readonly subsystem_code?: string;
  };
  readonly name: string;
}

/**
 * The `listClients` metaservice (pr-meta §2, pr-mrest §2): every member and subsystem of the
 * federation's instance `instance`, with its member's name; empty for any other instance.
 */
export function listClients(directory: Directory, instance: string): ClientEntry[] {
  return directory.members.flatMap((m) => {
    const { instance: memberInstance, memberClass, memberCode } = parseMemberId(m.id);
    if (memberInstance !== instance) return [];
    const base = { xroad_instance: memberInstance, member_class: memberClass, member_code: memberCode };
    return [
      { id: { object_type: 'MEMBER' as const, ...base }, name: m.name },
      ...m.subsystems.map((subsystem) => ({
        id: { object_type: 'SUBSYSTEM' as const, ...base, subsystem_code: subsystem },
        name: m.name,
      })),
    ];
  });
}

/** The JSON form, `{"member": [{"id": {...}, "name": ...}]}`, asked for with `Accept: application/json`. */
export const listClientsJson = (clients: readonly ClientEntry[]): string =>
  JSON.stringify({ member: clients });

const XROAD_NS = 'http://x-road.eu/xsd/xroad.xsd';
const IDENTIFIERS_NS = 'http://x-road.eu/xsd/identifiers';

/**
 * The XML form, pr-meta's `clientList` (the default when JSON is not asked for): each client an
 * `xroad:member` with its `id` (identifiers namespace, `objectType` attribute) and `name`.
 */
export function listClientsXml(clients: readonly ClientEntry[]): string {
  const members = clients.map(({ id, name }) => {
    const subsystem =
      id.subsystem_code === undefined
        ? ''
        : `<id:subsystemCode>${escapeXml(id.subsystem_code)}</id:subsystemCode>`;
    return (
      `<xroad:member><xroad:id id:objectType="${id.object_type}">` +
      `<id:xRoadInstance>${escapeXml(id.xroad_instance)}</id:xRoadInstance>` +
      `<id:memberClass>${escapeXml(id.member_class)}</id:memberClass>` +
      `<id:memberCode>${escapeXml(id.member_code)}</id:memberCode>${subsystem}</xroad:id>` +
      `<xroad:name>${escapeXml(name)}</xroad:name></xroad:member>`
    );
  });
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<xroad:clientList xmlns:xroad="${XROAD_NS}" xmlns:id="${IDENTIFIERS_NS}">${members.join('')}</xroad:clientList>`
  );
}
