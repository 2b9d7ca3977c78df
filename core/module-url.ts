import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The module `name` (no extension) in the folder of the module at `base` (its `import.meta.url`),
 * in the form the calling code itself runs as: TypeScript sources through tsx (`.ts`), or the
 * JavaScript that `npm run build` emits (`.js`). `compiled` says which, so a caller starting a
 * process or thread on it knows whether the new one needs the tsx loader.
 *
 * @example
 * const worker = siblingModule(import.meta.url, 'record-worker');
 */
export function siblingModule(base: string, name: string): { readonly url: URL; readonly compiled: boolean } {
  const extension = extname(fileURLToPath(base));
  return { url: new URL(`./${name}${extension}`, base), compiled: extension === '.js' };
}
