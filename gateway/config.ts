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
    /** The gateway, `INSTANCE/CLASS/MEMBER/SERVERCODE`, as registered. */
    GATEWAY_ID: z.string().min(1),
    /** This node's name; several nodes of one gateway share a database, each with its own log tree. */
    GATEWAY_NODE_ID: z
      .string()
      .regex(/^[A-Za-z0-9._/-]{1,200}$/)
      .optional(),
    /** Address of the peer listener (mutual TLS with other gateways). */
    GATEWAY_PEER_HOST: z.string().default('0.0.0.0'),
    /** Port peers reach the gateway at: the port of its registered address. */
    GATEWAY_PEER_PORT: port,
    /** Address of the client listener for the member's information systems (mutual TLS). */
    GATEWAY_CLIENT_HOST: z.string().default('127.0.0.1'),
    /** Port of the client listener (X-Road REST `/r1/…`). */
    GATEWAY_CLIENT_PORT: port,
    /** Plain HTTP for information systems; development only, and only on a loopback address. */
    GATEWAY_CLIENT_PLAIN_HTTP: bool,
    /** Address of the admin API (plain HTTP with a bearer token; keep it on loopback). */
    GATEWAY_ADMIN_HOST: z.string().default('127.0.0.1'),
    /** Port of the admin API (access rules, information-system certificates); none without it. */
    GATEWAY_ADMIN_PORT: port.optional(),
    /** The bearer token of the admin API, at least 16 characters. */
    GATEWAY_ADMIN_TOKEN: z.string().min(16).optional(),
    /** The operations listener (plain HTTP): `/healthz`, `/readyz`, `/metrics`; none without a port. */
    ...opsListenerConfig('GATEWAY'),
    /** The public HTTPS listener: citizen API, Data Tracker v3, auditor API (optional). */
    GATEWAY_PUBLIC_HOST: z.string().default('0.0.0.0'),
    /** Port of the public HTTPS listener; none without it. */
    GATEWAY_PUBLIC_PORT: port.optional(),
    /** The gateway's authentication (TLS) certificate as issued at registration, chain after it (PEM). */
    GATEWAY_TLS_CERT: z.string().min(1),
    /** Its private key (PEM), as `einmal gateway init` wrote it. */
    GATEWAY_TLS_KEY: z.string().min(1),
    /** The member's signing certificate (PEM; a chain after it is allowed). */
    GATEWAY_SIGNING_CERT: z.string().min(1),
    /** The member's signing key (PEM). */
    GATEWAY_SIGNING_KEY: z.string().min(1),
    /** Federation CA certificates (root and issuing), PEM bundle. */
    GATEWAY_CA: z.string().min(1),
    /** The configuration anchor: the federation root certificate that signs the directory chain. */
    GATEWAY_ANCHOR: z.string().min(1),
    /** The registry's directory URL, e.g. `https://registry.example:4400/directory`. */
    GATEWAY_DIRECTORY_URL: z.string().url(),
    /** File where the last verified directory is kept, so the gateway starts while the registry is away. */
    GATEWAY_DIRECTORY_CACHE: z.string().min(1),
    /** JSON object: each hosted subsystem `INSTANCE/CLASS/MEMBER/SUBSYSTEM` to the `https:` base URL of its adapter. */
    GATEWAY_ADAPTERS: jsonRecord.default({}),
    /**
     * Development only: allows `http:` adapter URLs on a loopback address. Otherwise every adapter is
     * reached over HTTPS with mutual TLS, the gateway presenting its TLS certificate (docs/protocol.md §5).
     */
    GATEWAY_ADAPTER_PLAIN_HTTP: bool,
    /** Largest request or response body accepted, in bytes. */
    GATEWAY_MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
    /** Clock difference tolerated in signed messages and tokens, in seconds. */
    GATEWAY_CLOCK_SKEW_SECONDS: z.coerce.number().int().positive().default(60),
    /**
     * Days an audit record keeps its content (the German IDNrG: two years, 730). Older records are
     * pruned daily to their leaf hashes, which keep every proof and checkpoint verifiable. Unset:
     * records are kept for good.
     */
    GATEWAY_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
    /** PostgreSQL schema of the gateway's tables. */
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
