import { EinmalError } from '../../core/index.ts';

/**
 * The code of the `EinmalError` that `run` throws, or `undefined` when it returns; anything else
 * thrown fails the test as it is.
 *
 * @example expect(errorCodeOf(() => checkServicePolicy(service, claims, false))).toBe('Server.ServerProxy.PurposeRequired');
 */
export function errorCodeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof EinmalError) return error.code;
    throw error;
  }
}
