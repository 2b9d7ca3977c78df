#!/usr/bin/env node
// The einmal CLI runs the TypeScript sources directly; tsx compiles them on load, with the project's
// own tsconfig.json (the portal's JSX) whatever the working folder.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../cli/main.ts');
