import { createHash } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
  importPrivateKeyPem,
  memberOfCertificate,
  parseCertificateBundle,
} from '../../certs/index.ts';
import { EinmalError } from '../../core/index.ts';
import { createRegistrationRequest } from '../../protocol/index.ts';
import { parseGatewayId, parseMemberId, printGatewayId, printMemberId } from '../../schemas/index.ts';

/** The files `einmal gateway init` writes into its output folder. */
export const GATEWAY_INIT_FILES = {
  /** The gateway's new authentication (TLS) private key, mode 0600. */
  authKey: 'auth.key',
  /** Its certificate signing request. */
  authCsr: 'auth.csr.pem',
  /** The registration request to submit with `einmal gateway register`. */
  request: 'registration.jws',
  /** Where `einmal gateway register --wait` saves the issued certificate chain. */
  authCertificate: 'auth.pem',
  /** Where `einmal gateway register` records the registry's id for the request. */
  registration: 'registration.json',
} as const;

/** The member's signing key and certificate chain, which sign its gateways' registration requests. */
export interface MemberSigningPem {
  readonly keyPem: string;
  /** The member's signing certificate first, then its issuing CA(s). */
  readonly chainPem: string;
}

export interface GatewayInitOptions {
  /** The signing credentials of `member`. */
  readonly signing: MemberSigningPem;
  /** `INSTANCE/CLASS/MEMBER`. */
  readonly member: string;
  /** The gateway's server code, e.g. `gw1`. */
  readonly code: string;
  /** DNS names or IP addresses for the TLS certificate; the first one forms the address. */
  readonly hosts: readonly string[];
  /** Port peers reach the gateway at. */
  readonly port: number;
  readonly outDir: string;
  readonly force?: boolean;
  readonly now?: Date;
}

export interface GatewayInitResult {
  readonly gateway: string;
  readonly address: string;
  readonly files: Readonly<Record<'authKey' | 'authCsr' | 'request', string>>;
  /**
   * SHA-256 of the new authentication key (SPKI DER, hex): what the registry lists for the pending
   * registration, for the member to confirm to the operator.
   */
  readonly authKeyFingerprint: string;
}

/**
 * Prepares a new gateway's registration (X-Road: security server initialisation): generates its
 * authentication key and CSR, and the registration request signed by that key and by the member's
 * signing key. The operator then approves it in the registry, which issues the certificate.
 *
 * @example
 * await initGateway({ signing: { keyPem, chainPem }, member: 'DEMO/GOV/munich', code: 'gw2',
 *   hosts: ['localhost'], port: 4420, outDir: 'gw2' });
 */
export async function initGateway(options: GatewayInitOptions): Promise<GatewayInitResult> {
  const memberId = parseMemberId(options.member);
  const gatewayId = parseGatewayId(`${printMemberId(memberId)}/${options.code}`);
  const gateway = printGatewayId(gatewayId);
  if (options.hosts.length === 0) throw new EinmalError('Cli.Usage', { message: '--host is required' });

  const address = `https://${formatHost(options.hosts[0]!)}:${options.port}`;

  const files = {
    authKey: join(options.outDir, GATEWAY_INIT_FILES.authKey),
    authCsr: join(options.outDir, GATEWAY_INIT_FILES.authCsr),
    request: join(options.outDir, GATEWAY_INIT_FILES.request),
  };
  if (!options.force) {
    for (const file of Object.values(files)) {
      if (await exists(file)) {
        throw new EinmalError('Config.FileExists', { message: `${file} exists (use --force to replace it)` });
      }
    }
  }

  const memberChain = parseCertificateBundle(options.signing.chainPem);
  const signer = printMemberId(memberOfCertificate(memberChain[0]!));
  if (signer !== printMemberId(memberId)) {
    throw new EinmalError('Cli.Usage', {
      message: `The signing certificate is ${signer}'s, not ${printMemberId(memberId)}'s`,
    });
  }
  const memberKey = await importPrivateKeyPem(options.signing.keyPem);

  const keys = await generateKeyPair();
  const csr = await createCsr({
    keys,
    subject: `CN=${gateway}`,
    profile: 'auth',
    host: options.hosts,
    member: memberId,
  });
  const now = options.now ?? new Date();
  const request = await createRegistrationRequest({
    claims: { v: 1, gateway, address, csr, iat: Math.floor(now.getTime() / 1000) },
    authKey: keys.privateKey,
    memberKey,
    memberChain,
  });

  await mkdir(options.outDir, { recursive: true });
  // A replaced key file is removed first: writeFile's mode applies only to a file it creates.
  await rm(files.authKey, { force: true });
  await writeFile(files.authKey, await exportPrivateKeyPem(keys.privateKey), { mode: 0o600 });
  // What an earlier registration of another key left behind belongs to that key.
  await rm(join(options.outDir, GATEWAY_INIT_FILES.registration), { force: true });
  await rm(join(options.outDir, GATEWAY_INIT_FILES.authCertificate), { force: true });
  await writeFile(files.authCsr, csr);
  await writeFile(files.request, `${request}\n`);
  const spki = Buffer.from(await crypto.subtle.exportKey('spki', keys.publicKey));
  const authKeyFingerprint = createHash('sha256').update(spki).digest('hex');
  return { gateway, address, files, authKeyFingerprint };
}

/** An IPv6 literal needs brackets in a URL. */
const formatHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );
