import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { SAMPLE_REGISTRY_NAMES } from '../adapters/index.ts';
import {
  type CaStore,
  type CertificateProfile,
  createCaStore,
  createCsr,
  createRootCa,
  exportPrivateKeyPem,
  generateKeyPair,
  toPem,
} from '../certs/index.ts';
import { EinmalError } from '../core/index.ts';
import {
  parseMemberId,
  parseSubsystemId,
  printedGatewayIdSchema,
  printedMemberIdSchema,
  printedSubsystemIdSchema,
} from '../schemas/index.ts';
import { DEMO_INSTANCE, demoMembers } from './demo-federation.ts';

/** A path inside the federation folder: relative, forward slashes, never leaving the folder. */
const relativePathSchema = z
  .string()
  .min(1)
  .max(512)
  .refine(
    (p) => !p.startsWith('/') && !p.includes('\\') && p.split('/').every((s) => s !== '..' && s !== ''),
    {
      message: 'Must be a relative path inside the federation folder',
    },
  );

const keyPairFilesSchema = z.object({ cert: relativePathSchema, key: relativePathSchema });

/** Schema of `federation.json`, the manifest `einmal dev init` writes. */
export const federationManifestSchema = z.object({
  version: z.literal(1),
  instance: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  /** Federation root certificate: the configuration anchor. */
  rootCa: relativePathSchema,
  /** The issuing CA that signed every end-entity certificate here. */
  issuingCa: relativePathSchema,
  /** CRL of the issuing CA. */
  crl: relativePathSchema,
  /** CRL of the root CA (covers the issuing CA). */
  rootCrl: relativePathSchema,
  /** CA store folders for `einmal pki sign|revoke|crl --ca`. */
  caStores: z.object({ root: relativePathSchema, issuing: relativePathSchema }),
  /** The registry's TLS, directory-signing and witness (checkpoint cosigning) keys. */
  registry: z.object({
    tls: keyPairFilesSchema,
    directorySigning: keyPairFilesSchema,
    witness: keyPairFilesSchema,
  }),
  operator: keyPairFilesSchema,
  auditor: keyPairFilesSchema,
  members: z.array(
    z.object({
      id: printedMemberIdSchema,
      name: z.string().max(256),
      signing: keyPairFilesSchema,
      gateway: z.object({
        id: printedGatewayIdSchema,
        port: z.number().int().min(1).max(65_535),
        clientPort: z.number().int().min(1).max(65_535),
        tls: keyPairFilesSchema,
      }),
      subsystems: z.array(z.object({ id: printedSubsystemIdSchema, client: keyPairFilesSchema })),
      /** A provider's registry adapter, with the TLS certificate it serves its gateway with. */
      adapter: z
        .object({
          registry: z.enum(SAMPLE_REGISTRY_NAMES),
          port: z.number().int().min(1).max(65_535),
          tls: keyPairFilesSchema,
        })
        .optional(),
    }),
  ),
});

/** The parsed `federation.json`; every path is relative to the federation folder. */
export type FederationManifest = z.infer<typeof federationManifestSchema>;
type KeyPairFiles = z.infer<typeof keyPairFilesSchema>;

const MANIFEST = 'federation.json';
/** What `einmal dev init` writes into its folder; `--force` removes exactly these first. */
const OWNED_ENTRIES = [MANIFEST, 'pki', 'registry', 'operator', 'auditor', 'members'];

/**
 * Reads and validates `DIR/federation.json`. Missing is `Config.FileMissing`; malformed is
 * `Config.Invalid` listing the problems.
 *
 * @example
 * const manifest = await readFederationManifest('.einmal');
 * const rootPem = await readFile(join('.einmal', manifest.rootCa), 'utf8');
 */
export async function readFederationManifest(dir: string): Promise<FederationManifest> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch (cause) {
    throw new EinmalError('Config.FileMissing', {
      message: `No ${MANIFEST} in ${dir}; run 'einmal dev init ${dir}'`,
      cause,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new EinmalError('Config.Invalid', { message: `${join(dir, MANIFEST)} is not JSON`, cause });
  }
  const parsed = federationManifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new EinmalError('Config.Invalid', {
      message: `${join(dir, MANIFEST)}: ${problems} (written by an older einmal? 'einmal dev init --force ${dir}' writes a current one)`,
    });
  }
  return parsed.data;
}

/**
 * Writes the development federation of the demo (dev/demo-federation.ts) into `dir`: root and
 * issuing CA (with CA stores and CRLs), each member's signing key and certificate, each gateway's
 * TLS key and certificate (localhost, 127.0.0.1), each provider's adapter TLS certificate (the
 * same hosts), each subsystem's information-system client certificate, the registry's TLS,
 * directory-signing and witness certificates, an operator and an auditor
 * certificate, and `federation.json` listing them all. Private keys are mode 0600. Refuses
 * (`Config.FileExists`) when `dir` already holds a federation, unless `force`.
 */
export async function writeDevelopmentFederation(options: {
  dir: string;
  force?: boolean;
  now?: Date;
}): Promise<FederationManifest> {
  const { dir } = options;
  const now = options.now ?? new Date();
  if (
    await stat(join(dir, MANIFEST)).then(
      () => true,
      () => false,
    )
  ) {
    if (!options.force) {
      throw new EinmalError('Config.FileExists', {
        message: `${dir} already holds a federation (use --force to replace it)`,
      });
    }
    await Promise.all(OWNED_ENTRIES.map((entry) => rm(join(dir, entry), { recursive: true, force: true })));
  }

  const root = await createRootCa({ name: `CN=${DEMO_INSTANCE} Root CA, O=${DEMO_INSTANCE}`, now });
  const rootStore = await createCaStore(join(dir, 'pki/root-ca'), root, { force: true });
  const issuing = await rootStore.createSubordinate({
    name: `CN=${DEMO_INSTANCE} Issuing CA, O=${DEMO_INSTANCE}`,
    now,
  });
  const store = await createCaStore(join(dir, 'pki/issuing-ca'), issuing, { force: true });
  const issue = issuer(dir, store, now);

  const [registryTls, directorySigning, witness, operator, auditor, members] = await Promise.all([
    issue('registry/tls', `CN=${DEMO_INSTANCE} registry, O=${DEMO_INSTANCE}`, 'auth', {
      host: ['localhost', '127.0.0.1'],
    }),
    issue(
      'registry/directory-signing',
      `CN=${DEMO_INSTANCE} directory signing, O=${DEMO_INSTANCE}`,
      'directory',
    ),
    issue('registry/witness', `CN=${DEMO_INSTANCE} registry witness, O=${DEMO_INSTANCE}`, 'witness'),
    issue('operator/operator', `CN=${DEMO_INSTANCE} federation operator, O=${DEMO_INSTANCE}`, 'operator'),
    issue('auditor/auditor', `CN=${DEMO_INSTANCE} auditor, O=${DEMO_INSTANCE}`, 'auditor'),
    Promise.all(
      demoMembers.map(async (member) => {
        const memberId = parseMemberId(member.id);
        const folder = `members/${memberId.memberClass}/${memberId.memberCode}`;
        const gatewayId = `${member.id}/${member.gateway.code}`;
        const [signing, tls, adapterTls, subsystems] = await Promise.all([
          issue(`${folder}/signing`, `CN=${member.id}, O=${member.id}`, 'signing', { member: memberId }),
          issue(`${folder}/${member.gateway.code}-tls`, `CN=${gatewayId}, O=${member.id}`, 'auth', {
            host: ['localhost', '127.0.0.1'],
          }),
          member.adapter &&
            issue(`${folder}/adapter-tls`, `CN=${member.id} adapter, O=${member.id}`, 'auth', {
              host: ['localhost', '127.0.0.1'],
            }),
          Promise.all(
            member.subsystems.map(async (code) => {
              const id = `${member.id}/${code}`;
              const client = await issue(`${folder}/${code}-client`, `CN=${id}, O=${member.id}`, 'client', {
                client: parseSubsystemId(id),
              });
              return { id, client };
            }),
          ),
        ]);
        return {
          id: member.id,
          name: member.name,
          signing,
          gateway: { id: gatewayId, port: member.gateway.port, clientPort: member.gateway.clientPort, tls },
          subsystems,
          ...(member.adapter && adapterTls ? { adapter: { ...member.adapter, tls: adapterTls } } : {}),
        };
      }),
    ),
  ]);

  const manifest: FederationManifest = {
    version: 1,
    instance: DEMO_INSTANCE,
    rootCa: 'pki/root-ca.pem',
    issuingCa: 'pki/issuing-ca.pem',
    crl: 'pki/issuing-ca.crl.pem',
    rootCrl: 'pki/root-ca.crl.pem',
    caStores: { root: 'pki/root-ca', issuing: 'pki/issuing-ca' },
    registry: { tls: registryTls, directorySigning, witness },
    operator,
    auditor,
    members,
  };
  await Promise.all([
    writeOutputFile(join(dir, manifest.rootCa), toPem(root.certificate)),
    writeOutputFile(join(dir, manifest.issuingCa), toPem(issuing.certificate)),
    store.crl({ thisUpdate: now }).then((pem) => writeOutputFile(join(dir, manifest.crl), pem)),
    rootStore.crl({ thisUpdate: now }).then((pem) => writeOutputFile(join(dir, manifest.rootCrl), pem)),
  ]);
  await writeFile(
    join(dir, MANIFEST),
    `${JSON.stringify(federationManifestSchema.parse(manifest), null, 2)}\n`,
  );
  return manifest;
}

/** Issues key + certificate pairs from `store` into `dir/PATH.pem` and `dir/PATH.key.pem`. */
function issuer(dir: string, store: CaStore, now: Date) {
  return async (
    path: string,
    subject: string,
    profile: CertificateProfile,
    names: Omit<Parameters<typeof createCsr>[0], 'keys' | 'subject' | 'profile'> = {},
  ): Promise<KeyPairFiles> => {
    const keys = await generateKeyPair();
    const csrPem = await createCsr({ keys, subject, profile, ...names });
    const certificate = await store.issue({ csrPem, profile, now });
    const files = { cert: `${path}.pem`, key: `${path}.key.pem` };
    await writeOutputFile(join(dir, files.key), await exportPrivateKeyPem(keys.privateKey), { mode: 0o600 });
    await writeOutputFile(join(dir, files.cert), toPem(certificate));
    return files;
  };
}

/** Writes one federation file, creating its folder; keys get mode 0600 (also under a lax umask). */
async function writeOutputFile(
  path: string,
  content: string,
  options: { mode?: number } = {},
): Promise<void> {
  const mode = options.mode ?? 0o644;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content, { mode });
  await chmod(path, mode);
}
