#!/usr/bin/env node
// The einmal CLI. In a checkout it runs the TypeScript sources: tsx compiles them on load, with the
// project's own tsconfig.json (the portal's JSX) whatever the working folder. The installed package
// ships only the compiled JavaScript of `npm run build` and runs that.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const sources = new URL('../cli/main.ts', import.meta.url);
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
  await import(sources.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
