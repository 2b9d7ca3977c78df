import { z } from 'zod';
import { opsListenerConfig } from '../core/ops/index.ts';

const loopbackHosts = new Set(['127.0.0.1', '[::1]', 'localhost']);
const port = z.coerce.number().int().min(0).max(65_535);
const seconds = (fallback: number) => z.coerce.number().int().min(1).max(86_400).default(fallback);

/**
 * The portal's configuration (environment variables), parsed once at start. The portal holds no
 * credential of its own towards the gateways: it acts with each person's own login.
 */
export const portalConfigSchema = z
  .object({
    /** Address the portal listens on. */
    PORTAL_HOST: z.string().default('127.0.0.1'),
    /** Port the portal listens on. */
    PORTAL_PORT: port,
    /** The operations listener (plain HTTP): `/healthz`, `/readyz`, `/metrics`; none without a port. */
    ...opsListenerConfig('PORTAL'),
    /**
     * The address people open, e.g. `https://portal.example.org`; the OIDC redirect URI is this plus
     * `/auth/callback`. Plain HTTP only on a loopback host (development): cookies are `Secure`.
     */
    PORTAL_PUBLIC_URL: z.url({ protocol: /^https?$/ }),
    /** Serve HTTPS directly with this certificate and key (PEM files); otherwise behind a TLS proxy. */
    PORTAL_TLS_CERT: z.string().min(1).optional(),
    /** The key of `PORTAL_TLS_CERT` (PEM). */
    PORTAL_TLS_KEY: z.string().min(1).optional(),
    /** The configuration anchor: the federation root certificate the directory chains to. */
    PORTAL_ANCHOR: z.string().min(1),
    /** CA certificates for the registry's TLS (PEM bundle); default the anchor. */
    PORTAL_CA: z.string().min(1).optional(),
    /** The registry's directory URL. */
    PORTAL_DIRECTORY_URL: z.url(),
    /** File where the last verified directory is kept. */
    PORTAL_DIRECTORY_CACHE: z.string().min(1),
    /** The portal's OAuth client id at the eID providers. */
    PORTAL_OIDC_CLIENT_ID: z.string().min(1).max(200).default('einmal-portal'),
    /** The client secret when the portal is a confidential client (PKCE is always used). */
    PORTAL_OIDC_CLIENT_SECRET: z.string().min(16).optional(),
    /** A session ends after this much inactivity, and at the latest when its access token expires. */
    PORTAL_SESSION_IDLE_SECONDS: seconds(1800),
    /** How long the portal waits for one gateway answer before naming the gateway unreachable. */
    PORTAL_GATEWAY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(4000),
    /** The time zone times are shown in and periods are read in. */
    PORTAL_TIME_ZONE: z
      .string()
      .default('Europe/Berlin')
      .refine((zone) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: zone });
          return true;
        } catch {
          return false;
        }
      }, 'Must be an IANA time zone'),
    PORTAL_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((config, ctx) => {
    const url = new URL(config.PORTAL_PUBLIC_URL);
    if (url.protocol === 'http:' && !loopbackHosts.has(url.hostname)) {
      ctx.addIssue({
        code: 'custom',
        path: ['PORTAL_PUBLIC_URL'],
        message: 'must be https (plain http only on a loopback host, for development)',
      });
    }
    if ((config.PORTAL_TLS_CERT === undefined) !== (config.PORTAL_TLS_KEY === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['PORTAL_TLS_KEY'],
        message: 'PORTAL_TLS_CERT and PORTAL_TLS_KEY go together',
      });
    }
  });

export type PortalConfig = z.output<typeof portalConfigSchema>;
