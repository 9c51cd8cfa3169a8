#!/usr/bin/env node
// Bundles src/cli.ts into dist/sockscope.mjs for `npm start` and the npm package.
// koffi stays external: it is a native module that node_modules provides.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));

// Ink loads its React devtools bridge only when DEV=true and react-devtools-core is
// installed; neither is true of sockscope, so the bridge is left out of the bundle (kept
// in, its static import of an absent package would fail at start).
const noInkDevtools = {
  name: 'no-ink-devtools',
  setup(b) {
    b.onResolve({ filter: /^\.\/devtools\.js$/ }, (args) => (args.importer.includes('/ink/') ? { path: 'ink-devtools', namespace: 'empty' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: '', loader: 'js' }));
  },
};

await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/sockscope.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  jsx: 'automatic',
  external: ['koffi'],
  plugins: [noInkDevtools],
  // React's production build: the development one checks every render and is several
  // times slower (the TUI's frame budget, docs/performance.md).
  define: { __SOCKSCOPE_VERSION__: JSON.stringify(pkg.version), 'process.env.NODE_ENV': '"production"' },
  // Ink's dependencies are CommonJS in places; give them a require in ESM.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
