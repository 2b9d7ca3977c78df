import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gatewayConfigSchema } from '../gateway/config.ts';
import { registryConfigSchema } from '../registry/config.ts';
import { CONFIGURATION_FILE, renderConfigReference } from './config-reference.ts';

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` generates from the configuration schemas now', () => {
    expect(readFileSync(CONFIGURATION_FILE, 'utf8')).toBe(renderConfigReference());
  });

  it('lists every variable of every service, required ones marked', () => {
    const reference = renderConfigReference();
    for (const schema of [registryConfigSchema, gatewayConfigSchema]) {
      for (const name of Object.keys(schema.shape)) expect(reference).toContain(`| \`${name}\` |`);
    }
    expect(reference).toMatch(/\| `REGISTRY_INSTANCE` \| yes \|/);
    expect(reference).toMatch(/\| `GATEWAY_ID` \| yes \|/);
    expect(reference).toMatch(/\| `GATEWAY_DB_SCHEMA` \| {2}\| `gateway` \|/);
  });
});
