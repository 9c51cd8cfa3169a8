#!/usr/bin/env node
// Bundles src/cli.ts into dist/sockscope.mjs for `npm start` and the npm package.
import { readFile } from 'node:fs/promises';
import { bundle } from './bundle.mjs';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
await bundle('src/cli.ts', 'dist/sockscope.mjs', pkg.version);
