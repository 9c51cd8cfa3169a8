// Bundles a few exports of a source tree's TypeScript (src/, test/ helpers) into one ESM
// file with esbuild and imports it: how the bench and inspection scripts reach the
// reader, writer and reducer without a build step of their own.
import { build } from 'esbuild';

/** `contents`: export lines resolved from `dir`; `outfile`: where the bundle goes. */
export async function importSources(dir, contents, outfile) {
  await build({
    stdin: { contents, resolveDir: dir, loader: 'ts' },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: ['vitest', 'fast-check'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
  });
  return import(outfile);
}
