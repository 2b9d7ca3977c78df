import { z } from 'zod';
import type { ErrorBody } from '../core/errors/index.ts';

/** The X-Road error body (X-Road pr-rest §4.6): `detail` is the error id to quote to support. */
export const errorBodySchema = z.object({
  type: z.string().min(1),
  message: z.string(),
  detail: z.uuid(),
}) satisfies z.ZodType<ErrorBody>;
