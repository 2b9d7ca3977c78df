import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/index.ts';
import { loadAdapterModule, readAdapterConfig } from './adapter-module.ts';

const folder = mkdtempSync(join(tmpdir(), 'einmal-adapter-module-'));
const sdk = pathToFileURL(resolve(import.meta.dirname, 'sdk/index.ts')).href;
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const write = (name: string, text: string) => {
  writeFileSync(join(folder, name), text);
  return join(folder, name);
};

const service = `defineService({
  code: 'dogs', version: 'v1', title: 'Dogs', description: 'How many dogs live here.',
  personalData: false, method: 'GET', request: z.object({}), response: z.object({ dogs: z.number() }),
  handler: () => ({ dogs: 3 }),
})`;

describe('loading an adapter module', () => {
  it('takes an adapter as the default export', async () => {
    const path = write(
      'plain.mjs',
      `import { defineAdapter, defineService, z } from '${sdk}';\nexport default defineAdapter({ title: 'Dogs', services: [${service}] });`,
    );
    const adapter = await loadAdapterModule(path, silentLogger);
    expect(adapter.title).toBe('Dogs');
    expect(adapter.services.map((s) => s.serviceCode)).toEqual(['dogs-v1']);
  });

  it('calls a default-exported function with the logger, and keeps what it returns to close', async () => {
    const path = write(
      'factory.mjs',
      `import { defineService, z } from '${sdk}';
export const closed = [];
export default async ({ log }) => ({ title: typeof log.info, services: [${service}], close: async () => { closed.push(true); } });`,
    );
    const adapter = await loadAdapterModule(path, silentLogger);
    expect(adapter.title).toBe('function');
    await adapter.close?.();
    expect((await import(pathToFileURL(path).href)).closed).toEqual([true]);
  });

  it('says which module could not be loaded or exports no adapter', async () => {
    await expect(loadAdapterModule(join(folder, 'missing.mjs'), silentLogger)).rejects.toThrow(
      /cannot load the adapter module .*missing\.mjs/,
    );
    const empty = write('empty.mjs', 'export const nothing = 1;');
    await expect(loadAdapterModule(empty, silentLogger)).rejects.toMatchObject({
      code: 'Cli.Usage',
      message: expect.stringContaining('must export an adapter (defineAdapter)'),
    });
    const handMade = write(
      'hand-made.mjs',
      `export default { title: 'Dogs', services: [{ code: 'dogs', version: 'v1', personalData: true, method: 'GET', path: '/' }] };`,
    );
    await expect(loadAdapterModule(handMade, silentLogger)).rejects.toMatchObject({
      code: 'Cli.Usage',
      message: expect.stringContaining("service 'dogs' was not declared with defineService"),
    });
  });
});

describe('the adapter config file', () => {
  it('resolves its paths against the file’s folder', () => {
    const path = write(
      'adapter.json',
      JSON.stringify({
        adapter: './plain.mjs',
        port: 4430,
        tls: { cert: 'tls/a.pem', key: 'tls/a.key', ca: '/etc/ca.pem', gatewayCert: 'tls/gw.pem' },
      }),
    );
    expect(readAdapterConfig(path)).toEqual({
      adapter: join(folder, 'plain.mjs'),
      port: 4430,
      tls: {
        cert: join(folder, 'tls/a.pem'),
        key: join(folder, 'tls/a.key'),
        ca: '/etc/ca.pem',
        gatewayCert: join(folder, 'tls/gw.pem'),
      },
    });
  });

  it('refuses unknown keys and wrong types, listing each', () => {
    const path = write('bad.json', JSON.stringify({ adapter: './plain.mjs', port: 'many', tsl: {} }));
    expect(() => readAdapterConfig(path)).toThrow(/port: .*\n.*(tsl|Unrecognized)/s);
  });
});
