import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdapterApp, defineService } from '../../adapters/sdk/index.ts';
import { createLogger, type EinmalError } from '../../core/index.ts';
import type { DirectoryService } from '../../schemas/index.ts';
import type { AccessRule } from '../access/access-rule.ts';
import { createMetaservices } from './metaservices.ts';

const policy = {
  title: 'Company search',
  description: 'Companies by name',
  personalData: false,
  eidScope: null,
  requiredLoa: null,
  purposes: [],
  legalBases: [],
  hideable: false,
} as const;

// A real adapter app: one service with two endpoints, one with one; another provider's service
// (`vehicles-v1`) is served by the same adapter, as in the demo.
const service = (code: string, method: 'GET' | 'POST', path: string) =>
  defineService({
    ...policy,
    title: `${code} ${path}`,
    code,
    version: 'v1',
    method,
    path,
    request: z.object({}),
    response: z.object({}),
    handler: () => ({}),
  });
const adapter = createAdapterApp({
  services: [
    service('companies', 'GET', '/'),
    service('search', 'POST', '/by-name'),
    service('vehicles', 'GET', '/'),
  ],
  log: createLogger({ name: 'adapter', level: 'silent' }),
});
const reads: string[] = [];
const adapters = {
  async readJson(_base: string, path: string) {
    reads.push(path);
    const response = await adapter.request(path);
    if (response.status !== 200) throw new Error(`adapter answered ${response.status}`);
    return response.json();
  },
};

const subsystem = {
  instance: 'DEMO',
  memberClass: 'GOV',
  memberCode: 'registry',
  subsystemCode: 'companies',
};
const entry = (code: string): DirectoryService => ({
  ...policy,
  purposes: [],
  legalBases: [],
  id: `DEMO/GOV/registry/companies/${code}`,
});
const directoryServices = [entry('companies-v1'), entry('legacy-v1'), entry('search-v1')];
const client = 'DEMO/GOV/munich/parking-permits';
const rule = (service: string, method: string | null, pathPattern: string | null): AccessRule => ({
  id: 1,
  subject: client,
  service: `DEMO/GOV/registry/companies/${service}`,
  method,
  pathPattern,
  mayHide: false,
});

async function ask(code: string, rules: AccessRule[] = [], query = '') {
  const metaservices = createMetaservices({ clock: () => 0, adapters });
  const answer = await metaservices.answer({
    code,
    subsystem,
    services: directoryServices,
    adapterUrl: 'https://adapter.invalid',
    query,
    rules,
    access: { client, localGroups: [], globalGroups: [] },
  });
  expect(answer.contentType).toBe('application/json; charset=utf-8');
  return { status: answer.status, body: JSON.parse(answer.body.toString()) };
}

describe('metaservices of one subsystem', () => {
  it('lists the directory’s services of the subsystem, with the adapter’s endpoints', async () => {
    const { body } = await ask('listMethods');
    expect(body.service.map((s: { service_code: string }) => s.service_code)).toEqual([
      'companies-v1',
      'legacy-v1',
      'search-v1',
    ]);
    expect(body.service[0]).toEqual({
      object_type: 'SERVICE',
      xroad_instance: 'DEMO',
      member_class: 'GOV',
      member_code: 'registry',
      subsystem_code: 'companies',
      service_code: 'companies-v1',
      service_type: 'OPENAPI',
      endpoint_list: [{ method: 'GET', path: '/' }],
    });
    // The directory lists a service the adapter does not describe: plain REST, no endpoints known.
    expect(body.service[1]).toMatchObject({ service_type: 'REST', endpoint_list: [] });
    expect(body.service[2].endpoint_list).toEqual([{ method: 'POST', path: '/by-name' }]);
  });

  it('narrows allowedMethods to the endpoints the access rules grant', async () => {
    const none = await ask('allowedMethods');
    expect(none.body).toEqual({ service: [] });
    const some = await ask('allowedMethods', [
      rule('search-v1', 'POST', '/by-name'),
      rule('companies-v1', 'POST', null),
      rule('legacy-v1', 'GET', '/x'),
    ]);
    expect(some.body.service.map((s: { service_code: string }) => s.service_code)).toEqual([
      'companies-v1',
      'legacy-v1',
      'search-v1',
    ]);
    // As X-Road lists it: a service the caller may use, without the endpoints its rule does not grant.
    expect(some.body.service[0].endpoint_list).toEqual([]);
    expect(some.body.service[2].endpoint_list).toEqual([{ method: 'POST', path: '/by-name' }]);
    const other = await ask('allowedMethods', [
      { ...rule('search-v1', null, null), subject: 'DEMO/GOV/x/y' },
    ]);
    expect(other.body).toEqual({ service: [] });
  });

  it('reads getOpenAPI’s serviceCode parameter in any case, the last one given', async () => {
    for (const query of ['servicecode=search-v1', 'serviceCode=companies-v1&SERVICECODE=search-v1']) {
      const { body } = await ask('getOpenAPI', [], query);
      expect(Object.keys(body.paths), query).toEqual(['/by-name']);
    }
  });

  it('answers getOpenAPI with the one service’s document, relative to its URL', async () => {
    const { body } = await ask('getOpenAPI', [], 'serviceCode=search-v1');
    expect(body.info.title).toBe('search /by-name');
    expect(Object.keys(body.paths)).toEqual(['/by-name']);
    expect(reads).toContain('/_einmal/services/search-v1/openapi');
  });

  it('refuses getOpenAPI for what is not the subsystem’s OpenAPI service', async () => {
    const code = async (query: string) =>
      ask('getOpenAPI', [], query).then(
        () => 'answered',
        (error: EinmalError) => error.code,
      );
    expect(await code('')).toBe('Server.ServerProxy.InvalidRequest');
    // Served by the same adapter, but another subsystem's service in the directory.
    expect(await code('serviceCode=vehicles-v1')).toBe('Server.ServerProxy.UnknownService');
    expect(await code('serviceCode=legacy-v1')).toBe('Server.ServerProxy.UnknownService');
  });

  it('answers a subsystem without services without asking any adapter', async () => {
    reads.length = 0;
    const metaservices = createMetaservices({ clock: () => 0, adapters });
    const answer = await metaservices.answer({
      code: 'listMethods',
      subsystem: { ...subsystem, subsystemCode: 'empty' },
      services: [],
      adapterUrl: undefined,
      query: '',
      rules: [],
      access: { client, localGroups: [], globalGroups: [] },
    });
    expect(JSON.parse(answer.body.toString())).toEqual({ service: [] });
    expect(reads).toEqual([]);
  });
});
