import { type Directory, parseMemberId } from '../../schemas/index.ts';

/**
 * The `listClients` metaservice in X-Road's JSON shape (pr-mrest §3): every member and subsystem of
 * the federation, with its name.
 */
export function listClientsDocument(directory: Directory) {
  const member = directory.members.flatMap((m) => {
    const { instance, memberClass, memberCode } = parseMemberId(m.id);
    const base = { xroad_instance: instance, member_class: memberClass, member_code: memberCode };
    return [
      { id: { object_type: 'MEMBER', ...base }, name: m.name },
      ...m.subsystems.map((subsystem) => ({
        id: { object_type: 'SUBSYSTEM', ...base, subsystem_code: subsystem },
        name: m.name,
      })),
    ];
  });
  return { member };
}
