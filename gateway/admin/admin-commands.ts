import { readFile } from 'node:fs/promises';
import { request } from 'undici';
import { certificateFingerprint, parseCertificateBundle } from '../../certs/index.ts';
import type { Command, CommandInput } from '../../cli/command.ts';
import { requireOption } from '../../cli/command.ts';
import { createLogger, EinmalError, isErrorCode } from '../../core/index.ts';
import { readGatewayConfig, startGateway } from '../server.ts';

const adminOptions = {
  admin: {
    type: 'string',
    description: 'Admin API base URL (default http://127.0.0.1:$GATEWAY_ADMIN_PORT)',
    placeholder: 'URL',
  },
  token: {
    type: 'string',
    description: 'Operator token (default $GATEWAY_ADMIN_TOKEN)',
    placeholder: 'TOKEN',
  },
} as const;

/** Calls the gateway admin API; an error answer becomes its EinmalError. */
async function callAdmin(
  input: CommandInput,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const base =
    (input.options.admin as string | undefined) ??
    (process.env.GATEWAY_ADMIN_PORT ? `http://127.0.0.1:${process.env.GATEWAY_ADMIN_PORT}` : undefined);
  if (!base) throw new EinmalError('Cli.Usage', { message: '--admin URL is required' });
  const token = (input.options.token as string | undefined) ?? process.env.GATEWAY_ADMIN_TOKEN ?? '';
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(`${base.replace(/\/$/, '')}/admin${path}`, {
      method: method as 'GET',
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (error) {
    throw new EinmalError('Server.Unavailable', {
      message: `Gateway admin API unreachable at ${base}`,
      cause: error,
    });
  }
  const text = await response.body.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (response.statusCode >= 400) {
    const failure = json as { type?: string; message?: string } | undefined;
    const code = failure?.type && isErrorCode(failure.type) ? failure.type : 'Server.InternalError';
    throw new EinmalError(code, { message: failure?.message ?? `HTTP ${response.statusCode}` });
  }
  return json;
}

/** `--fingerprint HEX`, or the fingerprint of the certificate in `--cert FILE`. */
async function fingerprintOption(input: CommandInput): Promise<string> {
  const file = input.options.cert;
  if (typeof file !== 'string') return requireOption(input, 'fingerprint');
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (cause) {
    throw new EinmalError('Config.FileMissing', { message: `--cert: cannot read ${file}`, cause });
  }
  // The certificate first; a chain after it is allowed.
  return certificateFingerprint(parseCertificateBundle(pem)[0]!);
}

/** Prints an answer; returns nothing, so the command's exit code stays 0 (stdout's `write` returns true). */
const print = (input: CommandInput, value: unknown): void => {
  input.print(JSON.stringify(value, null, 2));
};

/** `einmal gateway ...` commands for running and administering a security gateway. */
export const gatewayAdminCommands: readonly Command[] = [
  {
    name: 'serve',
    summary: 'Run a security gateway configured by GATEWAY_* environment variables',
    async run() {
      const config = readGatewayConfig(process.env);
      const log = createLogger({ name: 'gateway', level: config.GATEWAY_LOG_LEVEL });
      const running = await startGateway(config, log);
      await new Promise<void>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
      });
      await running.close();
      return 0;
    },
  },
  {
    name: 'acl-list',
    summary: 'List the access rules of this provider gateway',
    options: adminOptions,
    run: async (input) => print(input, await callAdmin(input, 'GET', '/acl')),
  },
  {
    name: 'acl-add',
    summary: 'Grant a client, global group (group:INSTANCE/CODE) or local group (local:CODE) a service',
    options: {
      ...adminOptions,
      subject: {
        type: 'string',
        description: 'Client id, group:INSTANCE/CODE or local:CODE',
        placeholder: 'ID',
      },
      service: {
        type: 'string',
        description:
          'Service id INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE, e.g. DEMO/GOV/residents-office/register/address-v1',
        placeholder: 'ID',
      },
      method: { type: 'string', description: 'Only this HTTP method', placeholder: 'METHOD' },
      path: {
        type: 'string',
        description: 'Only paths matching this pattern (* = one segment, ** = rest)',
        placeholder: 'PATTERN',
      },
      'may-hide': {
        type: 'boolean',
        description: 'Also let the subject hide these accesses for a while (Einmal-Hidden-Until)',
      },
    },
    run: async (input) =>
      print(
        input,
        await callAdmin(input, 'POST', '/acl', {
          subject: requireOption(input, 'subject'),
          service: requireOption(input, 'service'),
          method: (input.options.method as string | undefined) ?? null,
          pathPattern: (input.options.path as string | undefined) ?? null,
          mayHide: input.options['may-hide'] === true,
        }),
      ),
  },
  {
    name: 'acl-remove',
    summary: 'Remove an access rule by its id',
    options: {
      ...adminOptions,
      id: { type: 'string', description: 'Rule id (see acl-list)', placeholder: 'ID' },
    },
    async run(input) {
      await callAdmin(input, 'DELETE', `/acl/${encodeURIComponent(requireOption(input, 'id'))}`);
      input.print('removed');
    },
  },
  {
    name: 'is-cert-add',
    summary: "Register an information system's TLS client certificate (SHA-256 fingerprint) for a client",
    options: {
      ...adminOptions,
      client: { type: 'string', description: 'Client id INSTANCE/CLASS/MEMBER/SUBSYSTEM', placeholder: 'ID' },
      fingerprint: {
        type: 'string',
        description: 'SHA-256 of the certificate, lower-case hex',
        placeholder: 'HEX',
      },
      cert: { type: 'string', description: 'Or: the certificate file (PEM)', placeholder: 'FILE' },
    },
    run: async (input) =>
      print(
        input,
        await callAdmin(input, 'POST', '/is-certificates', {
          client: requireOption(input, 'client'),
          fingerprint: await fingerprintOption(input),
        }),
      ),
  },
  {
    name: 'is-cert-list',
    summary: 'List registered information-system certificates',
    options: adminOptions,
    run: async (input) => print(input, await callAdmin(input, 'GET', '/is-certificates')),
  },
];
