#!/usr/bin/env node
// Bundles src/cli.ts into dist/sockscope.mjs for `npm start` and the npm package.
// koffi stays external: it is a native module that node_modules provides.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/sockscope.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  jsx: 'automatic',
  external: ['koffi', 'react-devtools-core'],
  define: { __SOCKSCOPE_VERSION__: JSON.stringify(pkg.version) },
  // Ink's dependencies are CommonJS in places; give them a require in ESM.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
