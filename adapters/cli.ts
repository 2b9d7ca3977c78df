import { readFileSync } from 'node:fs';
import type { Command, CommandGroup, CommandInput } from '../cli/command.ts';
import { requireOption } from '../cli/command.ts';
import { openDatabase } from '../core/database/index.ts';
import { createLogger, EinmalError } from '../core/index.ts';
import { startSampleAdapter } from './sample-adapter.ts';
import {
  isSampleRegistryName,
  offlineDb,
  SAMPLE_REGISTRY_NAMES,
  type SampleRegistryName,
  sampleRegistries,
} from './sample-registries.ts';
import { type AdapterListening, buildOpenApiDocument, isLoopbackHost } from './sdk/index.ts';

/** The port `einmal adapter serve` listens on when none is given. */
const DEFAULT_ADAPTER_PORT = 4420;

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
  if (raw === undefined) return DEFAULT_ADAPTER_PORT;
  const port = Number(raw);
  if (typeof raw !== 'string' || !/^\d{1,5}$/.test(raw) || port > 65_535) {
    throw new EinmalError('Cli.Usage', { message: '--port must be a number from 0 to 65535' });
  }
  return port;
}

/** The operations listener asked for with `--ops-port` (and `--ops-host`), if any. */
function readOps(input: CommandInput): { host: string; port: number } | undefined {
  const raw = input.options['ops-port'];
  const host = (input.options['ops-host'] as string | undefined) ?? '127.0.0.1';
  if (raw === undefined) {
    if (input.options['ops-host'] !== undefined) {
      throw new EinmalError('Cli.Usage', { message: '--ops-host needs --ops-port' });
    }
    return undefined;
  }
  const port = Number(raw);
  if (typeof raw !== 'string' || !/^\d{1,5}$/.test(raw) || port > 65_535) {
    throw new EinmalError('Cli.Usage', { message: '--ops-port must be a number from 0 to 65535' });
  }
  return { host, port };
}

function readFile(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new EinmalError('Config.FileMissing', { message: `--${option}: cannot read ${path}` });
  }
}

/**
 * How `serve` listens: HTTPS with mutual TLS admitting only the provider gateway (all four TLS
 * files), or, asked for by name, plain HTTP on a loopback address for development.
 */
function readListening(input: CommandInput): AdapterListening {
  const files = {
    'tls-cert': input.options['tls-cert'],
    'tls-key': input.options['tls-key'],
    'tls-ca': input.options['tls-ca'],
    'gateway-cert': input.options['gateway-cert'],
  };
  const given = Object.entries(files).filter(([, value]) => typeof value === 'string');
  if (input.options['plain-http'] === true) {
    const host = (input.options.host as string | undefined) ?? '127.0.0.1';
    if (given.length > 0) {
      throw new EinmalError('Cli.Usage', { message: '--plain-http and the TLS options exclude each other' });
    }
    if (!isLoopbackHost(host)) {
      throw new EinmalError('Cli.Usage', {
        message: `--plain-http is for development on a loopback address only, not on ${host}`,
      });
    }
    return { plainHttp: 'development-on-loopback' };
  }
  if (given.length !== 4) {
    const missing = Object.keys(files).filter((name) => !given.some(([given]) => given === name));
    throw new EinmalError('Cli.Usage', {
      message: `An adapter answers only its gateway over mutual TLS: --${missing.join(', --')} missing (or --plain-http for development on loopback)`,
    });
  }
  const read = (option: keyof typeof files) => readFile(files[option] as string, option);
  return {
    tls: {
      cert: read('tls-cert'),
      key: read('tls-key'),
      ca: read('tls-ca'),
      gatewayCert: read('gateway-cert'),
    },
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
      description: `Port to listen on (default ${DEFAULT_ADAPTER_PORT})`,
    },
    host: { type: 'string', placeholder: 'HOST', description: 'Address to bind (default 127.0.0.1)' },
    'ops-port': {
      type: 'string',
      placeholder: 'PORT',
      description: 'Operations listener (plain HTTP: /healthz, /readyz, /metrics); none without it',
    },
    'ops-host': {
      type: 'string',
      placeholder: 'HOST',
      description: 'Address of the operations listener (default 127.0.0.1)',
    },
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
    'tls-cert': {
      type: 'string',
      placeholder: 'FILE',
      description: "The adapter's TLS certificate (chain), issued by the federation CA",
    },
    'tls-key': { type: 'string', placeholder: 'FILE', description: "The adapter's TLS private key" },
    'tls-ca': {
      type: 'string',
      placeholder: 'FILE',
      description: 'Federation CA certificates; client certificates must chain to them',
    },
    'gateway-cert': {
      type: 'string',
      placeholder: 'FILE',
      description: "The provider gateway's TLS certificate (its GATEWAY_TLS_CERT): the only client served",
    },
    'plain-http': {
      type: 'boolean',
      description: 'Development only: plain HTTP on a loopback address, no client authentication',
    },
    'log-level': { type: 'string', placeholder: 'LEVEL', description: 'pino log level (default info)' },
  },
  async run(input) {
    const registries = readRegistries(input);
    const port = readPort(input);
    const listening = readListening(input);
    const ops = readOps(input);
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
        ops,
        pool: database.poolUse,
        ...listening,
      });
      input.print(`einmal adapter (${registries.join(', ')}) listening on ${adapter.url}`);
      if (adapter.opsPort !== undefined) {
        input.print(
          `operations listener on http://${ops!.host}:${adapter.opsPort} (/healthz, /readyz, /metrics)`,
        );
      }
      await untilStopped();
      await adapter.close();
    } finally {
      await database.close();
    }
    return 0;
  },
};

const openapiCommand: Command = {
  name: 'openapi',
  summary: 'Print the OpenAPI 3.1 document of sample registries',
  options: { registry: registryOption },
  run(input) {
    const adapters = readRegistries(input).map((name) => sampleRegistries[name].create({ db: offlineDb() }));
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
