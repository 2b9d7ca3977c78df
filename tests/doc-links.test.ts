import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/* Every relative link of the README and docs/ leads to a file of the repository. */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const markdown = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? markdown(join(dir, entry.name))
      : entry.name.endsWith('.md')
        ? [join(dir, entry.name)]
        : [],
  );

describe('documentation links', () => {
  it('point to files inside the repository that exist', () => {
    const files = ['README.md', ...markdown('docs')];
    let links = 0;
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target!)) continue;
        const path = join(ROOT, dirname(file), target!.split('#')[0]!);
        links += 1;
        expect(relative(ROOT, path).startsWith('..'), `${file} → ${target}`).toBe(false);
        expect(existsSync(path), `${file} → ${target}`).toBe(true);
      }
    }
    expect(links).toBeGreaterThan(5);
  });
});
