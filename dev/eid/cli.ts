import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Command } from '../../cli/command.ts';
import { requireOption } from '../../cli/command.ts';
import { createLogger, EinmalError, loadConfig } from '../../core/index.ts';
import { DEMO_INSTANCE, demoPorts } from '../demo-federation.ts';
import { directoryScopes } from './directory-scopes.ts';
import { eidConfigSchema } from './eid-config.ts';
import { EID_SERVICE_SCOPES } from './eid-scopes.ts';
import { obtainCitizenToken } from './obtain-citizen-token.ts';

const DEFAULT_ISSUER = `http://127.0.0.1:${demoPorts.eid}`;

const serveOptions = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  state: z.string().min(1),
  issuer: z.url().optional(),
  'portal-redirect-uri': z.array(z.url()).optional(),
  'portal-secret': z.string().min(16).optional(),
  'portal-secret-file': z.string().min(1).optional(),
  instance: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .optional(),
  'directory-url': z.url().optional(),
  anchor: z.string().min(1).optional(),
});

const instanceOption = {
  type: 'string',
  description: `The federation instance its tokens are for (audience urn:einmal:INSTANCE; default ${DEMO_INSTANCE})`,
  placeholder: 'INSTANCE',
} as const;

const audienceOf = (instance: string | undefined) => (instance ? `urn:einmal:${instance}` : undefined);

/** Parses command options with a zod schema; every problem becomes one usage error. */
function parseOptions<T extends z.ZodType>(schema: T, options: unknown): z.infer<T> {
  const result = schema.safeParse(options);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`);
  throw new EinmalError('Cli.Usage', { message: problems.join('; ') });
}

const eidServe: Command = {
  name: 'eid-serve',
  summary: 'Run the development eID provider (OIDC, test citizens) until interrupted',
  options: {
    port: {
      type: 'string',
      default: String(demoPorts.eid),
      description: 'Port to listen on',
      placeholder: 'PORT',
    },
    host: { type: 'string', default: '127.0.0.1', description: 'Address to listen on', placeholder: 'HOST' },
    state: {
      type: 'string',
      default: '.einmal/eid',
      description: 'Directory for the signing keys',
      placeholder: 'DIR',
    },
    issuer: { type: 'string', description: 'Issuer URL (default http://HOST:PORT)', placeholder: 'URL' },
    'portal-redirect-uri': {
      type: 'string',
      multiple: true,
      description: 'Redirect URI of the einmal-portal client (repeatable)',
      placeholder: 'URL',
    },
    'portal-secret': {
      type: 'string',
      description: 'Make einmal-portal a confidential client with this secret',
      placeholder: 'SECRET',
    },
    'portal-secret-file': {
      type: 'string',
      description: 'Or: read that secret from FILE',
      placeholder: 'FILE',
    },
    instance: instanceOption,
    'directory-url': {
      type: 'string',
      description: "Offer the scopes the signed directory's services declare, from this registry URL",
      placeholder: 'URL',
    },
    anchor: {
      type: 'string',
      description: 'With --directory-url: the configuration anchor (federation root CA) PEM',
      placeholder: 'FILE',
    },
  },
  async run({ options, print }) {
    const settings = parseOptions(serveOptions, options);
    const config = loadConfig(eidConfigSchema, process.env);
    const portalSecret = settings['portal-secret-file']
      ? (
          await readFile(settings['portal-secret-file'], 'utf8').catch((cause: Error) => {
            throw new EinmalError('Config.FileMissing', {
              message: `--portal-secret-file: cannot read ${settings['portal-secret-file']}`,
              cause,
            });
          })
        ).trim()
      : settings['portal-secret'];
    if (portalSecret !== undefined && portalSecret.length < 16) {
      throw new EinmalError('Cli.Usage', { message: 'The portal secret needs at least 16 characters' });
    }
    // Loaded on use: oidc-provider warns on import, which other commands should not print.
    const { startEidServer } = await import('./eid-server.ts');
    const log = createLogger({ name: 'eid' });
    if (Boolean(settings['directory-url']) !== Boolean(settings.anchor)) {
      throw new EinmalError('Cli.Usage', { message: '--directory-url and --anchor go together' });
    }
    const scopes =
      settings['directory-url'] && settings.anchor
        ? directoryScopes({
            registryUrl: settings['directory-url'],
            anchorPem: await readFile(settings.anchor, 'utf8'),
            log,
          })
        : undefined;
    const eid = await startEidServer({
      port: settings.port,
      host: settings.host,
      stateDir: settings.state,
      ...(settings.issuer ? { issuer: new URL(settings.issuer) } : {}),
      ...(settings['portal-redirect-uri'] ? { portalRedirectUris: settings['portal-redirect-uri'] } : {}),
      ...(portalSecret ? { portalClientSecret: portalSecret } : {}),
      ...(settings.instance ? { audience: `urn:einmal:${settings.instance}` } : {}),
      ...(scopes ? { scopes } : {}),
      log,
      ops:
        config.EID_OPS_PORT === undefined
          ? undefined
          : { host: config.EID_OPS_HOST, port: config.EID_OPS_PORT },
    });
    print(`eID provider ${eid.issuer} (discovery ${eid.issuer}/.well-known/openid-configuration)`);
    await new Promise<void>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
    });
    await eid.close();
    await scopes?.close();
    return 0;
  },
};

const token: Command = {
  name: 'token',
  summary: 'Log a test citizen in at the eID provider and print their access token',
  options: {
    citizen: { type: 'string', description: 'Test citizen id, e.g. DE65402138797', placeholder: 'ID' },
    scope: {
      type: 'string',
      default: Object.keys(EID_SERVICE_SCOPES).join(' '),
      description: "Scopes to grant, e.g. 'population.address vehicles.holder'",
      placeholder: 'SCOPES',
    },
    issuer: {
      type: 'string',
      default: DEFAULT_ISSUER,
      description: 'eID provider issuer URL',
      placeholder: 'URL',
    },
    client: { type: 'string', default: 'einmal-cli', description: 'OAuth client id', placeholder: 'ID' },
    instance: instanceOption,
  },
  async run(input) {
    const accessToken = await obtainCitizenToken({
      issuer: requireOption(input, 'issuer'),
      citizen: requireOption(input, 'citizen'),
      scope: requireOption(input, 'scope'),
      clientId: requireOption(input, 'client'),
      resource: audienceOf(input.options.instance as string | undefined),
    });
    input.print(accessToken);
    return 0;
  },
};

/** The `einmal dev` commands of the development eID provider. */
export const eidCommands: readonly Command[] = [eidServe, token];
