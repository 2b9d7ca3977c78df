import { describe, expect, it } from 'vitest';
import { loadConfig } from '../core/index.ts';
import { gatewayConfigSchema } from './config.ts';

const REGISTER = 'DEMO/GOV/residents-office/register';

/** A complete environment but for the adapter settings. */
const environment = (adapters: Record<string, string>, extra: Record<string, string> = {}) => ({
  GATEWAY_ID: 'DEMO/GOV/residents-office/gw1',
  GATEWAY_PEER_PORT: '4411',
  GATEWAY_CLIENT_PORT: '4511',
  GATEWAY_TLS_CERT: 'gw1-tls.pem',
  GATEWAY_TLS_KEY: 'gw1-tls.key.pem',
  GATEWAY_SIGNING_CERT: 'signing.pem',
  GATEWAY_SIGNING_KEY: 'signing.key.pem',
  GATEWAY_CA: 'ca-bundle.pem',
  GATEWAY_ANCHOR: 'root-ca.pem',
  GATEWAY_DIRECTORY_URL: 'https://registry.example/directory',
  GATEWAY_DIRECTORY_CACHE: 'directory.jws',
  GATEWAY_ADAPTERS: JSON.stringify(adapters),
  ...extra,
});

const problems = (env: Record<string, string>): string => {
  try {
    loadConfig(gatewayConfigSchema, env);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
};

describe('the gateway configuration of its adapters', () => {
  it('takes HTTPS adapters by default', () => {
    const config = loadConfig(
      gatewayConfigSchema,
      environment({ [REGISTER]: 'https://adapter.internal:4420' }),
    );
    expect(config.GATEWAY_ADAPTERS).toEqual({ [REGISTER]: 'https://adapter.internal:4420' });
    expect(config.GATEWAY_ADAPTER_PLAIN_HTTP).toBe(false);
  });

  it('refuses a plain HTTP adapter unless development mode allows it on loopback', () => {
    expect(problems(environment({ [REGISTER]: 'http://127.0.0.1:4420' }))).toContain(
      `GATEWAY_ADAPTERS.${REGISTER}: adapters are reached over HTTPS`,
    );
    const plain = { GATEWAY_ADAPTER_PLAIN_HTTP: 'true' };
    expect(problems(environment({ [REGISTER]: 'http://127.0.0.1:4420' }, plain))).toBe('');
    expect(problems(environment({ [REGISTER]: 'http://[::1]:4420' }, plain))).toBe('');
    expect(problems(environment({ [REGISTER]: 'http://adapter.internal:4420' }, plain))).toContain(
      `GATEWAY_ADAPTERS.${REGISTER}`,
    );
    expect(problems(environment({ [REGISTER]: 'ftp://127.0.0.1/' }, plain))).toContain(
      'must be an https: URL',
    );
  });
});
