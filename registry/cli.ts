import { readFile } from 'node:fs/promises';
import { text as streamText } from 'node:stream/consumers';
import { Agent, request } from 'undici';
import { parseCertificatePem } from '../certs/index.ts';
import { type Command, type CommandGroup, type CommandInput, requireOption } from '../cli/command.ts';
import { EinmalError, parseJsonDocument, readJsonFile } from '../core/index.ts';
import { verifyDirectory } from '../protocol/index.ts';
import { createRegistryAdminClient, type OperatorCredentials } from './admin-client.ts';
import { startRegistry } from './server.ts';
import {
  type AdapterDescription,
  adapterDescriptionSchema,
  applyServiceSync,
  isInSync,
  planServiceSync,
  printServiceSyncPlan,
} from './service-sync.ts';

type OptionSpec = NonNullable<Command['options']>[string];

/** How one command-line flag fills one field of an admin API body. */
interface FieldFlag {
  readonly flag: string;
  readonly field: string;
  readonly description: string;
  /** `list`: repeatable; `pairs`: repeatable `KEY=VALUE` into an object; `codes`: repeatable `CODE=TITLE`. */
  readonly kind: 'text' | 'list' | 'flag' | 'pairs' | 'codes' | 'file' | 'nullable';
}

interface ResourceCli {
  readonly path: string;
  readonly noun: string;
  readonly fields: readonly FieldFlag[];
  /** Removal query fields, each a required flag of the same name. */
  readonly key: readonly { readonly flag: string; readonly param: string }[];
}

const f = (flag: string, field: string, kind: FieldFlag['kind'], description: string): FieldFlag => ({
  flag,
  field,
  kind,
  description,
});

const RESOURCES: readonly ResourceCli[] = [
  {
    path: 'members',
    noun: 'member',
    fields: [f('id', 'id', 'text', 'INSTANCE/CLASS/MEMBER'), f('name', 'name', 'text', 'Organisation name')],
    key: [{ flag: 'id', param: 'id' }],
  },
  {
    path: 'subsystems',
    noun: 'subsystem',
    fields: [f('id', 'id', 'text', 'INSTANCE/CLASS/MEMBER/SUBSYSTEM')],
    key: [{ flag: 'id', param: 'id' }],
  },
  {
    path: 'gateways',
    noun: 'gateway',
    fields: [
      f('id', 'id', 'text', 'INSTANCE/CLASS/MEMBER/SERVERCODE'),
      f('address', 'address', 'text', 'https://HOST:PORT peers use'),
      f('public-address', 'publicAddress', 'text', 'https://HOST:PORT of its citizen and auditor APIs'),
      f('fingerprint', 'authCertificateFingerprints', 'list', 'Auth certificate SHA-256 (repeatable)'),
      f('client', 'clients', 'list', 'Hosted client id (repeatable)'),
    ],
    key: [{ flag: 'id', param: 'id' }],
  },
  {
    path: 'gateway-certificates',
    noun: 'gateway-certificate',
    fields: [
      f('gateway', 'gateway', 'text', 'INSTANCE/CLASS/MEMBER/SERVERCODE'),
      f('fingerprint', 'fingerprint', 'text', 'Auth certificate SHA-256 (einmal pki whois)'),
    ],
    key: [
      { flag: 'gateway', param: 'gateway' },
      { flag: 'fingerprint', param: 'fingerprint' },
    ],
  },
  {
    path: 'services',
    noun: 'service',
    fields: [
      f(
        'id',
        'id',
        'text',
        'INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE, the version in the code: .../address-v1',
      ),
      f('title', 'title', 'text', 'Citizen-facing title'),
      f('description', 'description', 'text', 'Citizen-facing description'),
      f('personal-data', 'personalData', 'flag', 'The service returns personal data'),
      f('loa', 'requiredLoa', 'nullable', 'Required eID level: low|substantial|high'),
      f('scope', 'eidScope', 'nullable', 'eID scope that authorizes the service'),
      f('purpose', 'purposes', 'codes', 'Allowed purpose CODE=TITLE (repeatable)'),
      f('legal-basis', 'legalBases', 'codes', 'Allowed legal basis CODE=TITLE (repeatable)'),
      f('hideable', 'hideable', 'flag', 'Records may be hidden for a while'),
    ],
    key: [{ flag: 'id', param: 'id' }],
  },
  {
    path: 'groups',
    noun: 'group',
    fields: [
      f('id', 'id', 'text', 'INSTANCE/GROUPCODE'),
      f('description', 'description', 'text', 'What the group is'),
      f('member', 'members', 'list', 'Client id (repeatable)'),
    ],
    key: [{ flag: 'id', param: 'id' }],
  },
  {
    path: 'eid-issuers',
    noun: 'eid-issuer',
    fields: [
      f('issuer', 'issuer', 'text', 'Issuer URL (iss)'),
      f('jwks-uri', 'jwksUri', 'text', 'JWKS URL'),
      f('acr', 'acr', 'pairs', 'Accepted acr ACR=low|substantial|high (repeatable)'),
      f('role', 'roles', 'list', 'Staff role it may assert: auditor (repeatable)'),
    ],
    key: [{ flag: 'issuer', param: 'issuer' }],
  },
  {
    path: 'cas',
    noun: 'ca',
    fields: [
      f('name', 'name', 'text', 'CA name'),
      f('certificate', 'certificate', 'file', 'CA certificate PEM file'),
    ],
    key: [{ flag: 'name', param: 'name' }],
  },
  {
    path: 'revocations',
    noun: 'revocation',
    fields: [
      f('issuer', 'issuer', 'text', 'Issuer DN'),
      f('serial', 'serialNumber', 'text', 'Serial number, hex'),
      f('revoked-at', 'revokedAt', 'text', 'ISO time (default now)'),
    ],
    key: [
      { flag: 'issuer', param: 'issuer' },
      { flag: 'serial', param: 'serialNumber' },
    ],
  },
];

const connectionOptions: Record<string, OptionSpec & { description: string; placeholder?: string }> = {
  url: {
    type: 'string',
    description: 'Admin API URL, e.g. https://registry.example:4401',
    placeholder: 'URL',
  },
  cert: { type: 'string', description: 'Operator certificate PEM', placeholder: 'FILE' },
  key: { type: 'string', description: 'Operator key PEM', placeholder: 'FILE' },
  ca: { type: 'string', description: 'CA PEM to trust the registry by', placeholder: 'FILE' },
};

async function operatorCredentials(input: CommandInput): Promise<OperatorCredentials> {
  const read = (name: string) => readFile(requireOption(input, name), 'utf8');
  return { certPem: await read('cert'), keyPem: await read('key'), caPem: await read('ca') };
}

async function withAdminClient<T>(
  input: CommandInput,
  run: (client: ReturnType<typeof createRegistryAdminClient>) => Promise<T>,
): Promise<T> {
  const url = requireOption(input, 'url');
  const client = createRegistryAdminClient({ url, credentials: await operatorCredentials(input) });
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];

function splitPair(text: string, flag: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new EinmalError('Cli.Usage', { message: `--${flag} takes KEY=VALUE, got '${text}'` });
  return [text.slice(0, at), text.slice(at + 1)];
}

/** The admin API body from the command's flags; the registry validates it. */
async function bodyFromFlags(resource: ResourceCli, input: CommandInput): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  for (const field of resource.fields) {
    const value = input.options[field.flag];
    switch (field.kind) {
      case 'text':
        if (typeof value === 'string') body[field.field] = value;
        break;
      case 'nullable':
        body[field.field] = typeof value === 'string' ? value : null;
        break;
      case 'flag':
        body[field.field] = value === true;
        break;
      case 'list':
        body[field.field] = strings(value);
        break;
      case 'pairs':
        body[field.field] = Object.fromEntries(strings(value).map((p) => splitPair(p, field.flag)));
        break;
      case 'codes':
        body[field.field] = strings(value).map((p) => {
          const [code, title] = splitPair(p, field.flag);
          return { code, title };
        });
        break;
      case 'file':
        if (typeof value === 'string') body[field.field] = await readFile(value, 'utf8');
        break;
    }
  }
  return body;
}

function resourceCommands(resource: ResourceCli): Command[] {
  const connection = connectionOptions;
  const clash = resource.fields.find((field) => field.flag in connection);
  // One flag cannot name both the operator's connection and a field of the entry.
  if (clash) throw new TypeError(`--${clash.flag} of ${resource.noun}-add is a connection option`);
  const fieldOptions = Object.fromEntries(
    resource.fields.map((field) => [
      field.flag,
      {
        type: field.kind === 'flag' ? ('boolean' as const) : ('string' as const),
        ...(['list', 'pairs', 'codes'].includes(field.kind) ? { multiple: true } : {}),
        description: field.description,
      },
    ]),
  );
  const keyOptions = Object.fromEntries(
    resource.key.map((k) => [
      k.flag,
      {
        type: 'string' as const,
        description: resource.fields.find((x) => x.flag === k.flag)?.description ?? '',
      },
    ]),
  );
  return [
    {
      name: `${resource.noun}-add`,
      summary: `Add a ${resource.noun} through the admin API`,
      options: {
        ...connection,
        ...fieldOptions,
        json: {
          type: 'string',
          description: 'The whole body as JSON (instead of the flags)',
          placeholder: 'JSON',
        },
      },
      run: (input) =>
        withAdminClient(input, async (client) => {
          const body =
            typeof input.options.json === 'string'
              ? parseJson(input.options.json)
              : await bodyFromFlags(resource, input);
          input.print(JSON.stringify(await client.add(resource.path, body), null, 2));
          return 0;
        }),
    },
    {
      name: `${resource.noun}-list`,
      summary: `List ${resource.path}`,
      options: connection,
      run: (input) =>
        withAdminClient(input, async (client) => {
          input.print(JSON.stringify(await client.list(resource.path), null, 2));
          return 0;
        }),
    },
    {
      name: `${resource.noun}-remove`,
      summary: `Remove a ${resource.noun}`,
      options: { ...connection, ...keyOptions },
      run: (input) =>
        withAdminClient(input, async (client) => {
          const query = Object.fromEntries(resource.key.map((k) => [k.param, requireOption(input, k.flag)]));
          await client.remove(resource.path, query);
          input.print(`Removed ${resource.noun} ${Object.values(query).join(' ')}`);
          return 0;
        }),
    },
  ];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new EinmalError('Cli.Usage', { message: '--json is not valid JSON' });
  }
}

const serve: Command = {
  name: 'serve',
  summary: 'Run the registry (configured by REGISTRY_* environment variables)',
  async run() {
    const registry = await startRegistry(process.env);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await registry.close();
    return 0;
  },
};

const directoryCommand: Command = {
  name: 'directory',
  summary: 'Fetch the signed directory, verify it against the anchor and print it',
  options: {
    url: {
      type: 'string',
      description: 'Registry public URL, e.g. https://registry.example:4400',
      placeholder: 'URL',
    },
    anchor: { type: 'string', description: 'Configuration anchor PEM', placeholder: 'FILE' },
  },
  async run(input) {
    const anchorPem = await readFile(requireOption(input, 'anchor'), 'utf8');
    const base = requireOption(input, 'url');
    const dispatcher = new Agent({ connect: { ca: anchorPem } });
    try {
      const response = await request(new URL('/directory', base), { dispatcher }).catch((cause: Error) => {
        throw new EinmalError('Directory.Unavailable', { message: `Cannot reach ${base}: ${cause.message}` });
      });
      const jws = await response.body.text();
      if (response.statusCode !== 200) {
        throw new EinmalError('Directory.Unavailable', {
          message: `The registry answered HTTP ${response.statusCode}`,
        });
      }
      const verified = await verifyDirectory(jws, {
        anchor: parseCertificatePem(anchorPem),
        now: new Date(),
      });
      input.print(JSON.stringify(verified, null, 2));
      return 0;
    } finally {
      await dispatcher.close();
    }
  },
};

/** `--id`, or the id of the one pending registration of `--gateway`. */
async function registrationId(
  input: CommandInput,
  client: ReturnType<typeof createRegistryAdminClient>,
): Promise<string> {
  const gateway = input.options.gateway;
  if (typeof gateway !== 'string') return requireOption(input, 'id');
  const pending = (await client.list('registrations?status=pending')) as { id: string; gateway: string }[];
  const matching = pending.filter((registration) => registration.gateway === gateway);
  if (matching.length !== 1) {
    throw new EinmalError(matching.length === 0 ? 'Client.NotFound' : 'Cli.Usage', {
      message:
        matching.length === 0
          ? `No pending registration of ${gateway}`
          : `${matching.length} pending registrations of ${gateway}: name one with --id`,
    });
  }
  return matching[0]!.id;
}

/** Reads an adapter description from a file (`-`: standard input) and validates it. */
async function readAdapterDescription(path: string): Promise<AdapterDescription> {
  const what = `the adapter description ${path}`;
  if (path !== '-') return readJsonFile(path, adapterDescriptionSchema, what);
  return parseJsonDocument(await streamText(process.stdin), adapterDescriptionSchema, what);
}

/**
 * `einmal registry service-sync`: the adapter's description is the source of its services' metadata.
 * Without `--apply` it reports where the registry (and so the directory) and the adapter disagree
 * and exits 1 if they do; with `--apply` it registers and updates the services to match.
 */
const serviceSyncCommand: Command = {
  name: 'service-sync',
  summary: "Compare (or, with --apply, register) a subsystem's services with its adapter's description",
  options: {
    ...connectionOptions,
    subsystem: {
      type: 'string',
      placeholder: 'ID',
      description: 'The provider subsystem INSTANCE/CLASS/MEMBER/SUBSYSTEM the adapter serves',
    },
    description: {
      type: 'string',
      placeholder: 'FILE',
      description: "The adapter's GET /_einmal/services (einmal adapter describe MODULE), - for stdin",
    },
    apply: { type: 'boolean', description: 'Register new services and update differing ones' },
  },
  async run(input) {
    const subsystem = requireOption(input, 'subsystem');
    const description = await readAdapterDescription(requireOption(input, 'description'));
    return withAdminClient(input, async (client) => {
      const registered = (await client.list('services')) as Parameters<typeof planServiceSync>[2];
      const plan = planServiceSync(subsystem, description, registered);
      for (const line of printServiceSyncPlan(plan)) input.print(line);
      if (input.options.apply !== true) return isInSync(plan) ? 0 : 1;
      await applyServiceSync(client, plan);
      input.print(`registered ${plan.add.length}, updated ${plan.update.length}`);
      return 0;
    });
  },
};

/**
 * `registration-list` and `registration-approve`: the operator's side of a gateway's registration
 * (docs/protocol.md §10). Approving a gateway the registry does not know yet may name the clients it
 * hosts and the address of its public listener.
 */
const registrationCommands: Command[] = [
  {
    name: 'registration-list',
    summary: 'List gateway registrations (pending unless --status)',
    options: {
      ...connectionOptions,
      status: { type: 'string', description: 'pending | approved | all', placeholder: 'STATUS' },
    },
    run: (input) =>
      withAdminClient(input, async (client) => {
        const status = typeof input.options.status === 'string' ? input.options.status : 'pending';
        input.print(
          JSON.stringify(await client.list(`registrations?status=${encodeURIComponent(status)}`), null, 2),
        );
        return 0;
      }),
  },
  {
    name: 'registration-approve',
    summary:
      "Approve a gateway's registration: the issuing CA certifies its key, the next directory lists it",
    options: {
      ...connectionOptions,
      id: { type: 'string', description: 'Registration id (registration-list)', placeholder: 'UUID' },
      gateway: {
        type: 'string',
        description:
          'Or: the gateway INSTANCE/CLASS/MEMBER/SERVERCODE whose one pending registration to approve',
        placeholder: 'ID',
      },
      client: {
        type: 'string',
        multiple: true,
        description: 'A client the new gateway hosts, INSTANCE/CLASS/MEMBER/SUBSYSTEM (repeatable)',
        placeholder: 'ID',
      },
      'public-address': {
        type: 'string',
        description: 'https://HOST:PORT of its citizen and auditor APIs',
        placeholder: 'URL',
      },
    },
    run: (input) =>
      withAdminClient(input, async (client) => {
        const id = await registrationId(input, client);
        const publicAddress = input.options['public-address'];
        const body = {
          clients: strings(input.options.client),
          ...(typeof publicAddress === 'string' ? { publicAddress } : {}),
        };
        input.print(
          JSON.stringify(await client.add(`registrations/${encodeURIComponent(id)}/approve`, body), null, 2),
        );
        return 0;
      }),
  },
];

/** `einmal registry ...`: run the registry and manage its entries over the admin API. */
export const registryCommands: CommandGroup = {
  name: 'registry',
  summary: 'The federation registry: serve it, manage members, gateways, services, registrations and trust',
  commands: [
    serve,
    directoryCommand,
    ...RESOURCES.flatMap((resource) => resourceCommands(resource)),
    ...registrationCommands,
    serviceSyncCommand,
  ],
};
