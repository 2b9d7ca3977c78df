#!/usr/bin/env node
// The einmal CLI runs the TypeScript sources directly; tsx compiles them on load.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
