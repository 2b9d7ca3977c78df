import type { Kysely } from 'kysely';
import { EinmalError } from '../core/index.ts';
import { type Directory, directorySchema, memberOfPrinted, partOfPrinted } from '../schemas/index.ts';
import {
  listApprovedCas,
  listEidIssuers,
  listGateways,
  listGlobalGroups,
  listMembers,
  listRevocations,
  listServices,
  listSubsystems,
  type RegistryDb,
  readDirectoryVersion,
} from './db/index.ts';

/** What the directory says beyond the registry's content. */
export interface DirectorySettings {
  readonly instance: string;
  /** Lifetime of one signed directory; gateways refuse it afterwards (docs/protocol.md §9). */
  readonly ttlSeconds: number;
  readonly witnessUrl?: string | undefined;
}

/**
 * Builds the directory (docs/protocol.md §9) from the registry's content as of one snapshot, issued at
 * `issuedAt`. Content that would not make a valid directory is refused with `Client.InvalidBody`,
 * so an admin change that breaks it can be rolled back before it is published.
 *
 * @example
 * const directory = await buildDirectory(db, { instance: 'DEMO', ttlSeconds: 600 }, new Date());
 */
export async function buildDirectory(
  db: Kysely<RegistryDb>,
  settings: DirectorySettings,
  issuedAt: Date,
): Promise<Directory> {
  const read = async (trx: Kysely<RegistryDb>): Promise<Directory> => {
    const [version, members, subsystems, gateways, services, groups, eidIssuers, cas, revocations] =
      await Promise.all([
        readDirectoryVersion(trx),
        listMembers(trx),
        listSubsystems(trx),
        listGateways(trx),
        listServices(trx),
        listGlobalGroups(trx),
        listEidIssuers(trx),
        listApprovedCas(trx),
        listRevocations(trx),
      ]);
    const candidate = {
      instance: settings.instance,
      version,
      issuedAt: issuedAt.toISOString(),
      expiresAt: new Date(issuedAt.getTime() + settings.ttlSeconds * 1000).toISOString(),
      approvedCas: cas.map((ca) => ({ name: ca.name, certificate: ca.certificate })),
      revokedCertificates: revocations.map((r) => ({
        issuer: r.issuer,
        serialNumber: r.serialNumber,
        revokedAt: r.revokedAt.toISOString(),
      })),
      members: members.map((member) => ({
        id: member.id,
        name: member.name,
        subsystems: subsystems
          .filter((subsystem) => memberOfPrinted(subsystem.id) === member.id)
          .map((subsystem) => partOfPrinted(subsystem.id, 'subsystemCode')!),
      })),
      gateways,
      services,
      groups,
      eidIssuers,
      witness: settings.witnessUrl ? { url: settings.witnessUrl } : null,
    };
    const parsed = directorySchema.safeParse(candidate);
    if (!parsed.success) {
      const problems = parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.')}: ${i.message}`);
      throw new EinmalError('Client.InvalidBody', {
        message: `The change would make the directory invalid: ${problems.join('; ')}`,
        detail: problems,
      });
    }
    return parsed.data;
  };
  // One snapshot: a concurrent change is either wholly in this directory or wholly in the next.
  return db.isTransaction ? read(db) : db.transaction().setIsolationLevel('repeatable read').execute(read);
}
