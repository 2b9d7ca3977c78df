import { readFileSync } from 'node:fs';
import type { Command, CommandGroup, CommandInput } from '../cli/command.ts';
import { requireOption } from '../cli/command.ts';
import { type Database, openDatabase } from '../core/database/index.ts';
import { createLogger, EinmalError } from '../core/index.ts';
import {
  type AdapterConfig,
  isAdapterConfigFile,
  loadAdapterModule,
  readAdapterConfig,
} from './adapter-module.ts';
import { startAdapterWithOps } from './adapter-ops.ts';
import { openSampleAdapter } from './sample-adapter.ts';
import {
  declareSampleRegistry,
  isSampleRegistryName,
  SAMPLE_REGISTRY_NAMES,
  type SampleRegistryName,
  sampleRegistries,
} from './sample-registries.ts';
import {
  type AdapterDefinition,
  type AdapterListening,
  buildOpenApiDocument,
  describeService,
  isLoopbackHost,
} from './sdk/index.ts';

/** The port `einmal adapter serve` listens on when none is given. */
const DEFAULT_ADAPTER_PORT = 4420;

const registryOption = {
  type: 'string',
  placeholder: 'NAME[,NAME]',
  description: `Instead of a module, the sample registries: ${SAMPLE_REGISTRY_NAMES.join(' | ')} | all (comma-separated for several)`,
} as const;

/** What to serve: an adapter module (or a config file naming one), or sample registries by name. */
type AdapterSource =
  | { readonly module: string; readonly config?: AdapterConfig }
  | { readonly registries: SampleRegistryName[] };

function readSource(input: CommandInput): AdapterSource {
  const [path, ...rest] = input.positionals;
  if (rest.length > 0)
    throw new EinmalError('Cli.Usage', { message: 'give one adapter module or config file' });
  if (path !== undefined && input.options.registry !== undefined) {
    throw new EinmalError('Cli.Usage', { message: 'give an adapter module or --registry, not both' });
  }
  if (path === undefined) {
    if (input.options.registry === undefined) {
      throw new EinmalError('Cli.Usage', {
        message: 'name the adapter module (e.g. ./adapter.js), a config file (adapter.json) or --registry',
      });
    }
    return { registries: readRegistries(input) };
  }
  if (!isAdapterConfigFile(path)) return { module: path };
  const config = readAdapterConfig(path);
  return { module: config.adapter, config };
}

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

function readPort(input: CommandInput, config?: AdapterConfig): number {
  const raw = input.options.port;
  if (raw === undefined) return config?.port ?? DEFAULT_ADAPTER_PORT;
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
function readListening(input: CommandInput, config?: AdapterConfig): AdapterListening {
  const anyTlsOption = ['tls-cert', 'tls-key', 'tls-ca', 'gateway-cert'].some(
    (name) => input.options[name] !== undefined,
  );
  const fromConfig = anyTlsOption ? undefined : config?.tls;
  const files = {
    'tls-cert': input.options['tls-cert'] ?? fromConfig?.cert,
    'tls-key': input.options['tls-key'] ?? fromConfig?.key,
    'tls-ca': input.options['tls-ca'] ?? fromConfig?.ca,
    'gateway-cert': input.options['gateway-cert'] ?? fromConfig?.gatewayCert,
  };
  const given = Object.entries(files).filter(([, value]) => typeof value === 'string');
  if (input.options['plain-http'] === true || (config?.plainHttp === true && given.length === 0)) {
    const host = readHost(input, config);
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
      message: `An adapter answers only its gateway over mutual TLS: --${missing.join(', --')} missing (in a config file: tls.cert, tls.key, tls.ca, tls.gatewayCert), or --plain-http for development on loopback`,
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

const readHost = (input: CommandInput, config?: AdapterConfig): string =>
  (input.options.host as string | undefined) ?? config?.host ?? '127.0.0.1';

/** Resolves on SIGINT or SIGTERM. */
const untilStopped = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });

const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve an adapter module (or the sample registries) to its provider gateway',
  args: '[MODULE | CONFIG.json]',
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
      description: 'Sample registries: PostgreSQL URL (default: embedded PGlite)',
    },
    'data-dir': {
      type: 'string',
      placeholder: 'DIR',
      description: 'Sample registries: PGlite data directory (default: in memory)',
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
    const source = readSource(input);
    const config = 'config' in source ? source.config : undefined;
    if ('module' in source && (input.options['database-url'] || input.options['data-dir'])) {
      throw new EinmalError('Cli.Usage', {
        message:
          '--database-url and --data-dir are for the sample registries; an adapter module opens its own storage',
      });
    }
    const port = readPort(input, config);
    const listening = readListening(input, config);
    const ops = readOps(input);
    const log = createLogger({
      name: 'adapter',
      level:
        typeof input.options['log-level'] === 'string'
          ? input.options['log-level']
          : (config?.logLevel ?? 'info'),
    });
    const samples = 'module' in source ? undefined : await openSamples(source.registries, input, log);
    const adapter = samples?.adapter ?? (await loadAdapterModule((source as { module: string }).module, log));
    const running = await startAdapterWithOps(adapter, {
      log,
      port,
      host: readHost(input, config),
      ops,
      pool: samples?.pool,
      ...listening,
    }).catch((error: unknown) => {
      // A TLS file the SDK cannot use is the operator's to fix, not an internal error.
      if (!(error instanceof TypeError)) throw error;
      throw new EinmalError('Config.Invalid', { message: error.message, cause: error });
    });
    input.print(`einmal adapter (${adapter.title}) listening on ${running.url}`);
    if (running.opsPort !== undefined) {
      input.print(
        `operations listener on http://${ops!.host}:${running.opsPort} (/healthz, /readyz, /metrics)`,
      );
    }
    await untilStopped();
    await running.close();
    return 0;
  },
};

/** The sample registries as one adapter, on the database named by the options; closing it closes that. */
async function openSamples(
  registries: SampleRegistryName[],
  input: CommandInput,
  log: ReturnType<typeof createLogger>,
): Promise<{ adapter: AdapterDefinition; pool: Database['poolUse'] }> {
  const database = await openDatabase({
    url: input.options['database-url'] as string | undefined,
    dataDir: input.options['data-dir'] as string | undefined,
  });
  try {
    const adapter = await openSampleAdapter({ registries, db: database.db, log, close: database.close });
    return { adapter, pool: database.poolUse };
  } catch (error) {
    await database.close();
    throw error;
  }
}

const openapiCommand: Command = {
  name: 'openapi',
  summary: 'Print the OpenAPI 3.1 document of an adapter module (or of sample registries)',
  args: '[MODULE | CONFIG.json]',
  options: { registry: registryOption },
  async run(input) {
    const source = readSource(input);
    if ('module' in source) {
      const adapter = await loadAdapterModule(
        source.module,
        createLogger({ name: 'adapter', level: 'warn' }),
      );
      try {
        input.print(
          JSON.stringify(
            buildOpenApiDocument({ title: adapter.title, version: '1' }, adapter.services),
            null,
            2,
          ),
        );
      } finally {
        await adapter.close?.();
      }
      return 0;
    }
    const document = buildOpenApiDocument(
      {
        title: source.registries.map((name) => sampleRegistries[name].description.title).join(', '),
        version: '1',
      },
      source.registries.flatMap((name) => declareSampleRegistry(name)),
    );
    input.print(JSON.stringify(document, null, 2));
    return 0;
  },
};

const describeCommand: Command = {
  name: 'describe',
  summary:
    "Print an adapter module's services as GET /_einmal/services lists them (for registry service-sync)",
  args: 'MODULE | CONFIG.json',
  async run(input) {
    const source = readSource(input);
    if (!('module' in source)) {
      throw new EinmalError('Cli.Usage', { message: 'describe takes an adapter module or config file' });
    }
    const adapter = await loadAdapterModule(source.module, createLogger({ name: 'adapter', level: 'warn' }));
    try {
      input.print(JSON.stringify({ services: adapter.services.map(describeService) }, null, 2));
    } finally {
      await adapter.close?.();
    }
    return 0;
  },
};

/** `einmal adapter ...`: run and describe the sample registry adapters. */
export const adapterCommands: CommandGroup = {
  name: 'adapter',
  summary: 'Adapters: serve one (yours or the samples), print its OpenAPI',
  commands: [serveCommand, openapiCommand, describeCommand],
};
