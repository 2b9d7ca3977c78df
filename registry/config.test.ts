import { describe, expect, it } from 'vitest';
import { isEinmalError, loadConfig } from '../core/index.ts';
import { registryConfigSchema } from './config.ts';

describe('registry configuration', () => {
  it('takes no instance or ports from the demo: each must be set, and all missing ones are named at once', () => {
    let refusal: unknown;
    try {
      loadConfig(registryConfigSchema, {});
    } catch (error) {
      refusal = error;
    }
    expect(isEinmalError(refusal) && refusal.code).toBe('Config.Invalid');
    const problems = (refusal as { detail: string[] }).detail.map((line) => line.split(':')[0]);
    expect(problems).toEqual(['REGISTRY_INSTANCE', 'REGISTRY_PORT', 'REGISTRY_ADMIN_PORT']);
    const config = loadConfig(registryConfigSchema, {
      REGISTRY_INSTANCE: 'EE',
      REGISTRY_PORT: '8443',
      REGISTRY_ADMIN_PORT: '8444',
    });
    expect(config).toMatchObject({ REGISTRY_INSTANCE: 'EE', REGISTRY_PORT: 8443, REGISTRY_ADMIN_PORT: 8444 });
  });
});
