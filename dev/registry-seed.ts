import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { certificateFingerprint, parseCertificateBundle } from '../certs/index.ts';
import { type Command, requirePositional } from '../cli/command.ts';
import { migrateToLatest, openDatabase } from '../core/database/index.ts';
import { isEinmalError, loadConfig } from '../core/index.ts';
import {
  addApprovedCa,
  addEidIssuer,
  addGateway,
  addMember,
  addService,
  addSubsystem,
  type RegistryDb,
  registryMigrations,
} from '../registry/index.ts';
import { demoServices } from './demo-federation.ts';
import { readFederationManifest } from './federation-files.ts';

/** The development eID provider's issuer URL (docs/protocol.md §4.1, `einmal dev eid`). */
export const DEV_EID_ISSUER = 'http://127.0.0.1:4402';

/** eIDAS level URIs as `acr` values, as the development eID provider issues them. */
export const EIDAS_ACR = {
  'http://eidas.europa.eu/LoA/low': 'low',
  'http://eidas.europa.eu/LoA/substantial': 'substantial',
  'http://eidas.europa.eu/LoA/high': 'high',
} as const;

export interface SeedOptions {
  readonly db: Kysely<RegistryDb>;
  /** A folder written by `einmal dev init`. */
  readonly federationDir: string;
  /** Gateway id → address peers use; default `https://localhost:PORT` from the manifest. */
  readonly gatewayAddresses?: Readonly<Record<string, string>> | undefined;
  /** Gateway id → base URL of its public listener (citizen and auditor APIs), listed for the portal. */
  readonly gatewayPublicAddresses?: Readonly<Record<string, string>> | undefined;
  /** The eID issuer URL; default {@link DEV_EID_ISSUER}. Its JWKS is at `ISSUER/jwks`. */
  readonly eidIssuer?: string | undefined;
}

/** What a seed run added; entries already present are skipped, so seeding twice is harmless. */
export interface SeedResult {
  readonly added: number;
  readonly skipped: number;
}

/**
 * Loads the demo federation (dev/demo-federation.ts, with the certificates `einmal dev init` wrote)
 * into the registry: members, subsystems, gateways with their auth certificate fingerprints,
 * services, the issuing CA and the development eID issuer (trusted for citizens and for auditors). One transaction: all or nothing.
 *
 * @example
 * await seedDevFederation({ db, federationDir: './federation' });
 */
export async function seedDevFederation(options: SeedOptions): Promise<SeedResult> {
  const dir = options.federationDir;
  const manifest = await readFederationManifest(dir);
  const read = (path: string) => readFile(join(dir, path), 'utf8');
  const issuingPem = await read(manifest.issuingCa);
  const [issuing] = parseCertificateBundle(issuingPem);
  const gatewayFingerprints = new Map<string, string>();
  for (const member of manifest.members) {
    const [leaf] = parseCertificateBundle(await read(member.gateway.tls.cert));
    gatewayFingerprints.set(member.gateway.id, certificateFingerprint(leaf!));
  }
  const issuer = options.eidIssuer ?? DEV_EID_ISSUER;

  let added = 0;
  let skipped = 0;
  const step = async (run: () => Promise<void>) => {
    try {
      await run();
      added += 1;
    } catch (error) {
      if (!isEinmalError(error) || error.code !== 'Client.Conflict') throw error;
      skipped += 1;
    }
  };

  await options.db.transaction().execute(async (trx) => {
    await step(() =>
      addApprovedCa(trx, { name: 'Issuing CA', certificate: issuingPem }, certificateFingerprint(issuing!)),
    );
    for (const member of manifest.members) {
      await step(() => addMember(trx, { id: member.id, name: member.name }));
      for (const subsystem of member.subsystems) await step(() => addSubsystem(trx, { id: subsystem.id }));
    }
    for (const member of manifest.members) {
      const { id, port } = member.gateway;
      await step(() =>
        addGateway(trx, {
          id,
          address: options.gatewayAddresses?.[id] ?? `https://localhost:${port}`,
          publicAddress: options.gatewayPublicAddresses?.[id],
          authCertificateFingerprints: [gatewayFingerprints.get(id)!],
          clients: member.subsystems.map((s) => s.id),
        }),
      );
    }
    for (const service of demoServices) await step(() => addService(trx, service));
    // The development provider also logs in the demo's auditors (staff accounts with the auditor role).
    await step(() =>
      addEidIssuer(trx, { issuer, jwksUri: `${issuer}/jwks`, acr: EIDAS_ACR, roles: ['auditor'] }),
    );
  });
  return { added, skipped };
}

const seedEnvironmentSchema = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  EINMAL_DATA_DIR: z.string().min(1).optional(),
});

/**
 * `einmal dev seed DIR`: loads the demo federation into the registry database named by
 * `DATABASE_URL` (or the PGlite folder `EINMAL_DATA_DIR`); a running registry picks it up with its
 * next poll.
 */
export const devSeedCommand: Command = {
  name: 'seed',
  summary: 'Load the demo members, gateways, services, CA and eID issuer into the registry database',
  args: 'DIR',
  async run(input) {
    const dir = requirePositional(input, 0, 'DIR');
    const env = loadConfig(seedEnvironmentSchema, process.env);
    const database = await openDatabase({ url: env.DATABASE_URL, dataDir: env.EINMAL_DATA_DIR });
    try {
      await migrateToLatest(database.db, registryMigrations);
      const db = database.db.withSchema(registryMigrations.schema) as Kysely<RegistryDb>;
      const { added, skipped } = await seedDevFederation({ db, federationDir: dir });
      input.print(`Seeded the registry from ${dir}: ${added} entries added, ${skipped} already present`);
      return 0;
    } finally {
      await database.close();
    }
  },
};
