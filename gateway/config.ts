import { z } from 'zod';
import { opsListenerConfig } from '../core/ops/index.ts';

const loopbackHosts = new Set(['127.0.0.1', '::1', 'localhost']);
const port = z.coerce.number().int().min(0).max(65_535);
const bool = z
  .enum(['true', 'false', '1', '0'])
  .default('false')
  .transform((v) => v === 'true' || v === '1');
const jsonRecord = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string(), z.string().url()));

/**
 * The security gateway's configuration (environment variables), parsed once at start.
 * File settings name PEM files; `GATEWAY_ADAPTERS` maps each hosted subsystem
 * (`INSTANCE/CLASS/MEMBER/SUBSYSTEM`) to the base URL of its adapter.
 */
export const gatewayConfigSchema = z
  .object({
    GATEWAY_ID: z.string().min(1),
    /** This node's name; several nodes of one gateway share a database, each with its own log tree. */
    GATEWAY_NODE_ID: z
      .string()
      .regex(/^[A-Za-z0-9._/-]{1,200}$/)
      .optional(),
    GATEWAY_PEER_HOST: z.string().default('0.0.0.0'),
    GATEWAY_PEER_PORT: port,
    GATEWAY_CLIENT_HOST: z.string().default('127.0.0.1'),
    GATEWAY_CLIENT_PORT: port,
    /** Plain HTTP for information systems; development only, and only on a loopback address. */
    GATEWAY_CLIENT_PLAIN_HTTP: bool,
    GATEWAY_ADMIN_HOST: z.string().default('127.0.0.1'),
    GATEWAY_ADMIN_PORT: port.optional(),
    GATEWAY_ADMIN_TOKEN: z.string().min(16).optional(),
    /** The operations listener (plain HTTP): `/healthz`, `/readyz`, `/metrics`; none without a port. */
    ...opsListenerConfig('GATEWAY'),
    /** The public HTTPS listener: citizen API, Data Tracker v3, auditor API (optional). */
    GATEWAY_PUBLIC_HOST: z.string().default('0.0.0.0'),
    GATEWAY_PUBLIC_PORT: port.optional(),
    GATEWAY_TLS_CERT: z.string().min(1),
    GATEWAY_TLS_KEY: z.string().min(1),
    GATEWAY_SIGNING_CERT: z.string().min(1),
    GATEWAY_SIGNING_KEY: z.string().min(1),
    /** Federation CA certificates (root and issuing), PEM bundle. */
    GATEWAY_CA: z.string().min(1),
    /** The configuration anchor: the federation root certificate that signs the directory chain. */
    GATEWAY_ANCHOR: z.string().min(1),
    GATEWAY_DIRECTORY_URL: z.string().url(),
    GATEWAY_DIRECTORY_CACHE: z.string().min(1),
    GATEWAY_ADAPTERS: jsonRecord.default({}),
    /**
     * Development only: allows `http:` adapter URLs on a loopback address. Otherwise every adapter is
     * reached over HTTPS with mutual TLS, the gateway presenting its TLS certificate (docs/protocol.md §5).
     */
    GATEWAY_ADAPTER_PLAIN_HTTP: bool,
    GATEWAY_MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
    GATEWAY_CLOCK_SKEW_SECONDS: z.coerce.number().int().positive().default(60),
    GATEWAY_DB_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/)
      .default('gateway'),
    DATABASE_URL: z.string().url().optional(),
    EINMAL_DATA_DIR: z.string().optional(),
    GATEWAY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((config, ctx) => {
    if (config.GATEWAY_CLIENT_PLAIN_HTTP && !loopbackHosts.has(config.GATEWAY_CLIENT_HOST)) {
      ctx.addIssue({
        code: 'custom',
        path: ['GATEWAY_CLIENT_HOST'],
        message: 'plain HTTP for information systems is only allowed on a loopback address',
      });
    }
    for (const [subsystem, url] of Object.entries(config.GATEWAY_ADAPTERS ?? {})) {
      if (!URL.canParse(url)) continue; // already reported as not a URL
      const { protocol, hostname } = new URL(url);
      const plainAllowed =
        config.GATEWAY_ADAPTER_PLAIN_HTTP && loopbackHosts.has(hostname.replace(/^\[|\]$/g, ''));
      if (protocol !== 'https:' && !(protocol === 'http:' && plainAllowed)) {
        ctx.addIssue({
          code: 'custom',
          path: ['GATEWAY_ADAPTERS', subsystem],
          message:
            protocol === 'http:'
              ? 'adapters are reached over HTTPS; http: only with GATEWAY_ADAPTER_PLAIN_HTTP=true on a loopback address'
              : 'must be an https: URL',
        });
      }
    }
  });

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
