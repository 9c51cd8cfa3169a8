// The one esbuild configuration for sockscope's bundles (dist/sockscope.mjs with its chunks,
// and the TUI benchmark's app), so that what is measured is built the way users get it.
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

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

// Yoga's Emscripten loader reads its WebAssembly from a data: URL, through fetch() when
// there is one: in Node that loads undici and the web streams (about 115 built-in modules)
// only to decode 93 KB of base64, which the loader does itself when fetch is absent. A
// module-level `fetch` of undefined in that one file (esbuild keeps it to the module) takes
// that path: a bare `node` importing yoga-layout was 17 MiB larger with undici loaded.
const yogaWithoutFetch = {
  name: 'yoga-without-fetch',
  setup(b) {
    b.onLoad({ filter: /yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, async (args) => ({
      contents: `var fetch = undefined;\n${await readFile(args.path, 'utf8')}`,
      loader: 'js',
    }));
  },
};

/** Bundles `entry` into one ESM file; koffi stays external (a native module). `extra`:
 * more esbuild options (tests: nodePaths for an entry outside the tree). */
export function bundle(entry, outfile, version, extra = {}) {
  return build({
    ...(entry === undefined ? {} : { entryPoints: [entry], outfile }),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    // esbuild cannot know which Unicode property names a target knows, so without this it
    // rewrites every /\p{...}/u literal as new RegExp("..."), which Ink's frame then builds
    // once per character of each new line (V8 looks the source up in its regexp cache each
    // time): 2.5-3.1 ms against 0.4-0.9 ms per 8,000 characters on this VM. Node 22 has both.
    supported: { 'regexp-unicode-property-escapes': true, 'regexp-set-notation': true },
    jsx: 'automatic',
    external: ['koffi'],
    plugins: [noInkDevtools, yogaWithoutFetch],
    // React's production build: the development one checks every render and is several
    // times slower (the TUI's frame budget, docs/performance.md).
    define: { __SOCKSCOPE_VERSION__: JSON.stringify(version), 'process.env.NODE_ENV': '"production"' },
    // Ink's dependencies are CommonJS in places; give them a require in ESM.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
    ...extra,
  });
}

/** The CLI's files in `outdir`: the entry `sockscope.mjs` and the chunks it imports, each
 * `sockscope-*.mjs` beside it (src/assets.ts finds the tree from a chunk's folder). Each
 * command compiles only what it runs: before the split, every start compiled all 1.5 MB
 * (about 0.1 s; `--version` took 0.21 s against 0.12 s split), Ink and React included for
 * `record` and `--format jsonl`; and the TUI's 1 MB now compiles while the kernel verifies
 * the BPF programs (src/commands/live.ts). The previous build's chunks are removed first.
 * Returns the files written, entry first. */
export async function bundleCli(outdir, version, extra = {}) {
  for (const name of await readdir(outdir).catch(() => [])) {
    if (/^sockscope(-.*)?\.mjs$/.test(name)) await rm(path.join(outdir, name));
  }
  const result = await bundle(undefined, undefined, version, {
    entryPoints: { sockscope: path.join(import.meta.dirname, '..', 'src', 'cli.ts') },
    outdir,
    splitting: true,
    chunkNames: 'sockscope-[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    metafile: true,
    ...extra,
  });
  const files = Object.keys(result.metafile.outputs).map((f) => path.resolve(f));
  const entry = path.resolve(outdir, 'sockscope.mjs');
  return [entry, ...files.filter((f) => f !== entry)];
}
