import { readFileSync } from 'node:fs';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import type { Command, CommandGroup, CommandInput } from '../cli/command.ts';
import { requireOption } from '../cli/command.ts';
import { createLogger, EinmalError, openDatabase } from '../core/index.ts';
import { demoPorts } from '../dev/demo-federation.ts';
import { startSampleAdapter } from './sample-adapter.ts';
import {
  isSampleRegistryName,
  SAMPLE_REGISTRY_NAMES,
  type SampleRegistryName,
  sampleRegistries,
} from './sample-registries.ts';
import { type AdapterTls, buildOpenApiDocument } from './sdk/index.ts';

const registryOption = {
  type: 'string',
  placeholder: 'NAME[,NAME]',
  description: `${SAMPLE_REGISTRY_NAMES.join(' | ')} | all (comma-separated for several)`,
} as const;

/** The registries named by `--registry`: one, several comma-separated, or `all`. */
function readRegistries(input: CommandInput): SampleRegistryName[] {
  const value = requireOption(input, 'registry');
  if (value === 'all') return [...SAMPLE_REGISTRY_NAMES];
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !isSampleRegistryName(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new EinmalError('Cli.Usage', {
      message: `unknown registry '${unknown.join(', ')}'; choose from ${SAMPLE_REGISTRY_NAMES.join(', ')}, all`,
    });
  }
  return names as SampleRegistryName[];
}

function readPort(input: CommandInput): number {
  const raw = input.options.port;
  if (raw === undefined) return demoPorts.adapters;
  const port = Number(raw);
  if (typeof raw !== 'string' || !/^\d{1,5}$/.test(raw) || port > 65_535) {
    throw new EinmalError('Cli.Usage', { message: '--port must be a number from 0 to 65535' });
  }
  return port;
}

function readFile(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new EinmalError('Config.FileMissing', { message: `--${option}: cannot read ${path}` });
  }
}

function readTls(input: CommandInput): AdapterTls | undefined {
  const files = {
    cert: input.options['tls-cert'],
    key: input.options['tls-key'],
    ca: input.options['tls-ca'],
  };
  const given = Object.values(files).filter((value) => typeof value === 'string');
  if (given.length === 0) return undefined;
  if (given.length !== 3) {
    throw new EinmalError('Cli.Usage', { message: '--tls-cert, --tls-key and --tls-ca go together' });
  }
  return {
    cert: readFile(files.cert as string, 'tls-cert'),
    key: readFile(files.key as string, 'tls-key'),
    ca: readFile(files.ca as string, 'tls-ca'),
    requestCert: true,
  };
}

/** Resolves on SIGINT or SIGTERM. */
const untilStopped = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });

const serveCommand: Command = {
  name: 'serve',
  summary: 'Migrate, seed and serve sample registries as an adapter',
  options: {
    registry: registryOption,
    port: {
      type: 'string',
      placeholder: 'PORT',
      description: `Port to listen on (default ${demoPorts.adapters})`,
    },
    host: { type: 'string', placeholder: 'HOST', description: 'Address to bind (default 127.0.0.1)' },
    'database-url': {
      type: 'string',
      placeholder: 'URL',
      description: 'PostgreSQL URL (default: embedded PGlite)',
    },
    'data-dir': {
      type: 'string',
      placeholder: 'DIR',
      description: 'PGlite data directory (default: in memory)',
    },
    'tls-cert': { type: 'string', placeholder: 'FILE', description: 'PEM certificate chain of the adapter' },
    'tls-key': { type: 'string', placeholder: 'FILE', description: 'PEM private key of the adapter' },
    'tls-ca': {
      type: 'string',
      placeholder: 'FILE',
      description: "CA of the gateway's TLS certificate; only its holders get in",
    },
    'log-level': { type: 'string', placeholder: 'LEVEL', description: 'pino log level (default info)' },
  },
  async run(input) {
    const registries = readRegistries(input);
    const port = readPort(input);
    const tls = readTls(input);
    const log = createLogger({
      name: 'adapter',
      level: typeof input.options['log-level'] === 'string' ? input.options['log-level'] : 'info',
    });
    const database = await openDatabase({
      url: input.options['database-url'] as string | undefined,
      dataDir: input.options['data-dir'] as string | undefined,
    });
    try {
      const adapter = await startSampleAdapter({
        registries,
        db: database.db,
        log,
        port,
        host: input.options.host as string | undefined,
        tls,
      });
      input.print(`einmal adapter (${registries.join(', ')}) listening on ${adapter.url}`);
      await untilStopped();
      await adapter.close();
    } finally {
      await database.close();
    }
    return 0;
  },
};

/** A query builder that never connects: the OpenAPI document needs the services, not their data. */
const offlineDb = () =>
  new Kysely<any>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });

const openapiCommand: Command = {
  name: 'openapi',
  summary: 'Print the OpenAPI 3.1 document of sample registries',
  options: { registry: registryOption },
  run(input) {
    const db = offlineDb();
    const adapters = readRegistries(input).map((name) => sampleRegistries[name].create({ db }));
    const document = buildOpenApiDocument(
      { title: adapters.map((a) => a.title).join(', '), version: '1' },
      adapters.flatMap((a) => a.services),
    );
    input.print(JSON.stringify(document, null, 2));
    return 0;
  },
};

/** `einmal adapter ...`: run and describe the sample registry adapters. */
export const adapterCommands: CommandGroup = {
  name: 'adapter',
  summary: 'Sample registry adapters: serve them, print their OpenAPI',
  commands: [serveCommand, openapiCommand],
};
