import { z } from 'zod';
import { opsListenerConfig } from '../core/ops/index.ts';

const port = z.coerce.number().int().min(0).max(65535);
const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .default('false')
  .transform((value) => value === 'true' || value === '1');
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

/** The credential files `startRegistry` reads unless its caller hands the credentials in. */
export const REGISTRY_CREDENTIAL_FILES = [
  'REGISTRY_TLS_CERT',
  'REGISTRY_TLS_KEY',
  'REGISTRY_DIRECTORY_CERT',
  'REGISTRY_DIRECTORY_KEY',
  'REGISTRY_ANCHOR_CERT',
  'REGISTRY_ADMIN_CA',
] as const;

/**
 * The registry's configuration, from the environment. Its credentials come from the PEM paths
 * named here, or from the process that embeds the registry (`startRegistry`'s `credentials`).
 */
export const registryConfigSchema = z
  .object({
    /** The federation's instance identifier, the first part of every member id (X-Road instance). */
    REGISTRY_INSTANCE: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
    /** Address both listeners bind, e.g. `0.0.0.0`. */
    REGISTRY_HOST: z.string().min(1).default('127.0.0.1'),
    /** The public listener: directory, registrations, witness. */
    REGISTRY_PORT: port,
    /** The admin listener (mutual TLS, operator certificates). */
    REGISTRY_ADMIN_PORT: port,
    /** The operations listener (plain HTTP): `/healthz`, `/readyz`, `/metrics`; none without a port. */
    ...opsListenerConfig('REGISTRY'),
    /** TLS certificate chain (PEM) and key of both listeners. */
    REGISTRY_TLS_CERT: optionalText,
    /** The TLS certificate's private key (PEM). */
    REGISTRY_TLS_KEY: optionalText,
    /** Directory-signing certificate chain (PEM, signer first) and key. */
    REGISTRY_DIRECTORY_CERT: optionalText,
    /** The directory-signing certificate's private key (PEM). */
    REGISTRY_DIRECTORY_KEY: optionalText,
    /**
     * The witness's certificate chain (PEM, signer first; profile `witness`) and key: the registry
     * cosigns gateways' log checkpoints with them. Without them the registry serves no witness.
     */
    REGISTRY_WITNESS_CERT: optionalText,
    /** The witness certificate's private key (PEM). */
    REGISTRY_WITNESS_KEY: optionalText,
    /** Federation root certificate (PEM): the configuration anchor. */
    REGISTRY_ANCHOR_CERT: optionalText,
    /** CA certificates (PEM bundle) that issue operator certificates. */
    REGISTRY_ADMIN_CA: optionalText,
    /** CA store folder (`einmal pki`) of the issuing CA; enables gateway registration. */
    REGISTRY_ISSUING_CA_DIR: optionalText,
    /** Development only (with `REGISTRY_DEV_MODE`): a bearer token accepted on the admin API instead of an operator certificate. */
    REGISTRY_ADMIN_TOKEN: optionalText.pipe(z.string().min(24).optional()),
    /** Development mode; allows `REGISTRY_ADMIN_TOKEN`. */
    REGISTRY_DEV_MODE: flag,
    /** How long a signed directory is valid, in seconds; it is signed anew before it expires. */
    REGISTRY_DIRECTORY_TTL: z.coerce.number().int().min(30).max(86_400).default(600),
    /** How often the registry looks for changes written by other processes, in seconds. */
    REGISTRY_POLL_INTERVAL: z.coerce.number().min(0.1).max(3600).default(5),
    /** The witness URL the directory announces to gateways; default this registry's own `/witness`. */
    REGISTRY_WITNESS_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
    REGISTRY_LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    DATABASE_URL: optionalText,
    EINMAL_DATA_DIR: optionalText,
  })
  .superRefine((config, ctx) => {
    if (Boolean(config.REGISTRY_WITNESS_CERT) !== Boolean(config.REGISTRY_WITNESS_KEY)) {
      ctx.addIssue({
        code: 'custom',
        path: [config.REGISTRY_WITNESS_CERT ? 'REGISTRY_WITNESS_KEY' : 'REGISTRY_WITNESS_CERT'],
        message: 'REGISTRY_WITNESS_CERT and REGISTRY_WITNESS_KEY go together',
      });
    }
    if (config.REGISTRY_ADMIN_TOKEN && !config.REGISTRY_DEV_MODE) {
      ctx.addIssue({
        code: 'custom',
        path: ['REGISTRY_ADMIN_TOKEN'],
        message: 'An operator token is only accepted with REGISTRY_DEV_MODE=true',
      });
    }
  });

/** The parsed registry configuration. */
export type RegistryConfig = z.output<typeof registryConfigSchema>;
