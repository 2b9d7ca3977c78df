import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65_535);

/**
 * The two settings of a service's operations listener, for its one configuration schema:
 * `<PREFIX>_OPS_HOST` (default 127.0.0.1) and `<PREFIX>_OPS_PORT` (no listener when unset).
 *
 * @example
 * const schema = z.object({ ...opsListenerConfig('GATEWAY'), GATEWAY_ID: z.string() });
 */
export function opsListenerConfig<P extends string>(prefix: P) {
  return {
    [`${prefix}_OPS_HOST`]: z.string().min(1).default('127.0.0.1'),
    [`${prefix}_OPS_PORT`]: port.optional(),
  } as { [K in `${P}_OPS_HOST`]: z.ZodDefault<z.ZodString> } & {
    [K in `${P}_OPS_PORT`]: z.ZodOptional<typeof port>;
  };
}
