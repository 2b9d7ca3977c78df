import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Every file of the project and every package a module loads, following relative imports. */
function importClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const info = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      if (fileName.startsWith('.')) visit(relative(root, resolve(root, dirname(file), fileName)));
      else
        packages.add(
          fileName.startsWith('@') ? fileName.split('/').slice(0, 2).join('/') : fileName.split('/')[0]!,
        );
    }
  };
  visit(entry);
  return { files, packages };
}

/** What the SDK may load of the project: itself, the contracts, the errors and the logger. */
const OWN_NEEDS =
  /^(adapters\/sdk\/|schemas\/|core\/errors\/|core\/(index|clock|config|json-file|logger|module-url)\.ts$)/;

describe('the adapter SDK package entries', () => {
  it.each([
    ['einmal/adapter-sdk', './adapter-sdk', 'adapters/sdk/index.ts'],
    ['einmal/adapter-sdk/testkit', './adapter-sdk/testkit', 'adapters/sdk/testkit.ts'],
  ])(
    '%s loads the SDK’s own needs only: no registry, gateway, database, demo or sample code',
    (_name, subpath, source) => {
      const exported = packageJson.exports[subpath];
      expect(exported.default).toBe(`./dist/${source.replace(/\.ts$/, '.js')}`);
      expect(exported.types).toBe(`./dist/${source.replace(/\.ts$/, '.d.ts')}`);
      const { files, packages } = importClosure(source);
      expect([...files].filter((file) => !OWN_NEEDS.test(file))).toEqual([]);
      const nonNode = [...packages].filter((name) => !name.startsWith('node:')).sort();
      expect(nonNode.every((name) => ['@hono/node-server', 'hono', 'pino', 'zod'].includes(name))).toBe(true);
      expect(nonNode).toContain('zod');
    },
  );

  it('ships compiled JavaScript and declarations, without benchmarks, the demo or source maps', () => {
    expect(packageJson.files).toEqual([
      'bin/einmal.js',
      'dist/',
      '!dist/bench/',
      '!dist/dev/demo.*',
      '!dist/**/*.map',
    ]);
    expect(packageJson.bin).toEqual({ einmal: 'bin/einmal.js' });
  });
});
