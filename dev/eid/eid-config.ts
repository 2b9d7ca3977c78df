import { z } from 'zod';
import { opsListenerConfig } from '../../core/ops/index.ts';

/**
 * The development eID provider's settings from the environment (its other settings are the
 * options of `einmal dev eid-serve`): the operations listener, `EID_OPS_HOST` and `EID_OPS_PORT`.
 */
export const eidConfigSchema = z.object({
  ...opsListenerConfig('EID'),
});

export type EidConfig = z.output<typeof eidConfigSchema>;
