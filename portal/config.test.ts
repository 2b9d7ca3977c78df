import { describe, expect, it } from 'vitest';
import { readPortalConfig } from './server.ts';

const base = {
  PORTAL_PORT: '4403',
  PORTAL_PUBLIC_URL: 'http://127.0.0.1:4403',
  PORTAL_ANCHOR: 'root-ca.pem',
  PORTAL_DIRECTORY_URL: 'https://localhost:4400/directory',
  PORTAL_DIRECTORY_CACHE: 'directory.jws',
};

describe('portal configuration', () => {
  it('reads a development setup on loopback with defaults', () => {
    expect(readPortalConfig(base)).toMatchObject({
      PORTAL_HOST: '127.0.0.1',
      PORTAL_PORT: 4403,
      PORTAL_OIDC_CLIENT_ID: 'einmal-portal',
      PORTAL_SESSION_IDLE_SECONDS: 1800,
      PORTAL_TIME_ZONE: 'Europe/Berlin',
    });
  });

  it('lists every problem of the fields at once', () => {
    expect(() =>
      readPortalConfig({ ...base, PORTAL_TIME_ZONE: 'Mars/Olympus', PORTAL_ANCHOR: undefined }),
    ).toThrow(/PORTAL_ANCHOR: .*\n\s+PORTAL_TIME_ZONE: Must be an IANA time zone/s);
  });

  it('refuses plain HTTP off loopback (cookies are Secure) and half a TLS pair', () => {
    expect(() =>
      readPortalConfig({
        ...base,
        PORTAL_PUBLIC_URL: 'http://portal.example.org',
        PORTAL_TLS_CERT: 'cert.pem',
      }),
    ).toThrow(
      /PORTAL_PUBLIC_URL: must be https \(plain http only on a loopback host, for development\)\n\s+PORTAL_TLS_KEY: PORTAL_TLS_CERT and PORTAL_TLS_KEY go together/,
    );
    expect(
      readPortalConfig({ ...base, PORTAL_PUBLIC_URL: 'https://portal.example.org' }).PORTAL_PUBLIC_URL,
    ).toBe('https://portal.example.org');
  });
});
