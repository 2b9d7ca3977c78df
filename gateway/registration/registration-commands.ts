import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type Command, type CommandInput, requireOption } from '../../cli/command.ts';
import { EinmalError } from '../../core/index.ts';
import { createRegistryFetch } from '../../protocol/index.ts';
import { parseMemberId, printGatewayId } from '../../schemas/index.ts';
import { GATEWAY_INIT_FILES, initGateway } from './gateway-init.ts';
import { fetchRegistrationCertificate, submitRegistration } from './registration-client.ts';

const WAIT_POLL_MS = 1_000;

function optionalString(input: CommandInput, name: string): string | undefined {
  const value = input.options[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function integerOption(
  input: CommandInput,
  name: string,
  range: { min: number; max: number },
): number | undefined {
  const value = optionalString(input, name);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < range.min || number > range.max) {
    throw new EinmalError('Cli.Usage', {
      message: `--${name} must be a whole number from ${range.min} to ${range.max}`,
    });
  }
  return number;
}

async function readOptionFile(input: CommandInput, name: string): Promise<string> {
  const path = requireOption(input, name);
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new EinmalError('Config.FileMissing', { message: `--${name}: cannot read ${path}`, cause });
  }
}

/** The registration an earlier `register` submitted from this folder, if any: a rerun waits for it. */
async function readSubmitted(
  dir: string,
): Promise<{ id: string; gateway: string; status: string } | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, GATEWAY_INIT_FILES.registration), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = submittedSchema.safeParse(parseJsonText(text));
  if (!parsed.success) {
    throw new EinmalError('Config.Invalid', {
      message: `${join(dir, GATEWAY_INIT_FILES.registration)} is damaged; remove it to submit the request again`,
    });
  }
  return { ...parsed.data, status: 'submitted' };
}

const submittedSchema = z.object({ id: z.uuid(), gateway: z.string().min(1) });

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `einmal gateway init` and `einmal gateway register`: a new gateway's registration (docs/protocol.md §11). */
export function gatewayRegistrationCommands(): readonly Command[] {
  const initCommand: Command = {
    name: 'init',
    summary: "Generate a new gateway's auth key, CSR and registration request signed by its member",
    options: {
      'signing-key': { type: 'string', description: "The member's signing key (PEM)", placeholder: 'FILE' },
      'signing-cert': {
        type: 'string',
        description: "The member's signing certificate, then its issuing CA (PEM)",
        placeholder: 'FILE',
      },
      member: { type: 'string', description: 'Member id INSTANCE/CLASS/MEMBER', placeholder: 'ID' },
      code: { type: 'string', description: 'Server code of the gateway, e.g. gw1', placeholder: 'CODE' },
      host: {
        type: 'string',
        multiple: true,
        description: 'DNS name or IP for the TLS certificate (repeatable)',
        placeholder: 'HOST',
      },
      port: { type: 'string', description: 'Port peers reach the gateway at', placeholder: 'PORT' },
      out: { type: 'string', description: 'Output folder', placeholder: 'DIR' },
      force: { type: 'boolean', description: 'Replace files from an earlier init' },
    },
    async run(input) {
      const hosts = (input.options.host as string[] | undefined) ?? [];
      const member = requireOption(input, 'member');
      const code = requireOption(input, 'code');
      const gateway = printGatewayId({ ...parseMemberId(member), serverCode: code });
      const port = integerOption(input, 'port', { min: 1, max: 65_535 });
      const signing = {
        keyPem: await readOptionFile(input, 'signing-key'),
        chainPem: await readOptionFile(input, 'signing-cert'),
      };
      if (port === undefined) {
        throw new EinmalError('Cli.Usage', {
          message: `--port is required for a new gateway ${gateway}`,
        });
      }
      const result = await initGateway({
        signing,
        member,
        code,
        hosts,
        port,
        outDir: requireOption(input, 'out'),
        force: input.options.force === true,
      });
      input.print(`Gateway ${result.gateway} at ${result.address}`);
      input.print(`  auth key (keep secret): ${result.files.authKey}`);
      input.print(`  CSR:                    ${result.files.authCsr}`);
      input.print(`  registration request:   ${result.files.request}`);
      input.print(`  auth key fingerprint:   ${result.authKeyFingerprint} (the registry lists it)`);
      input.print(
        `Submit it with: einmal gateway register --registry URL --dir ${requireOption(input, 'out')}`,
      );
      return 0;
    },
  };

  const registerCommand: Command = {
    name: 'register',
    summary:
      'Submit the registration request to the registry (once; a rerun waits for it); with --wait, save the certificate once approved',
    options: {
      registry: {
        type: 'string',
        description: 'Registry public URL, e.g. https://localhost:4400',
        placeholder: 'URL',
      },
      dir: { type: 'string', description: "Folder written by 'einmal gateway init'", placeholder: 'DIR' },
      ca: {
        type: 'string',
        description: "PEM the registry's TLS certificate chains to",
        placeholder: 'FILE',
      },
      wait: {
        type: 'string',
        description: 'Wait up to SECONDS for approval and save the certificate',
        placeholder: 'SECONDS',
      },
    },
    async run(input) {
      const registry = requireOption(input, 'registry');
      const dir = requireOption(input, 'dir');
      const waitSeconds = integerOption(input, 'wait', { min: 0, max: 86_400 });
      const transport = createRegistryFetch({ ca: await readOptionFile(input, 'ca') });
      try {
        const requestFile = join(dir, GATEWAY_INIT_FILES.request);
        let request: string;
        try {
          request = await readFile(requestFile, 'utf8');
        } catch (cause) {
          throw new EinmalError('Config.FileMissing', {
            message: `No ${requestFile}; run 'einmal gateway init'`,
            cause,
          });
        }
        let submitted = await readSubmitted(dir);
        if (!submitted) {
          submitted = await submitRegistration({ registry, request, fetch: transport.fetch });
          await writeFile(
            join(dir, GATEWAY_INIT_FILES.registration),
            `${JSON.stringify(submitted, null, 2)}\n`,
          );
        }
        input.print(`Registration ${submitted.id} for ${submitted.gateway} is ${submitted.status}`);
        if (waitSeconds === undefined) return 0;

        const deadline = Date.now() + waitSeconds * 1000;
        for (;;) {
          const certificate = await fetchRegistrationCertificate({
            registry,
            id: submitted.id,
            fetch: transport.fetch,
          });
          if (certificate) {
            const file = join(dir, GATEWAY_INIT_FILES.authCertificate);
            await writeFile(file, certificate);
            input.print(`Approved; certificate saved to ${file}`);
            return 0;
          }
          if (Date.now() >= deadline) {
            input.print('Still pending; run again with --wait later, or ask the operator to approve it');
            return 3;
          }
          await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
        }
      } finally {
        await transport.close();
      }
    },
  };

  return [initCommand, registerCommand];
}
