#!/usr/bin/env node
// Writes dist/sockscope: one executable (Node's single executable applications) that
// embeds the Node 24 runtime, the bundled JS, the BPF object, the recordings and koffi's
// native module. Its only system requirement is libbpf.so.1.
import { $, fs, path } from 'zx';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { NODE_FLAGS } from './node-flags.mjs';

$.verbose = false;
const root = path.resolve(import.meta.dirname, '..');
process.chdir(root);
const require = createRequire(import.meta.url);

await $`${process.execPath} scripts/build.mjs`;
await build({ entryPoints: ['src/sea/main.cjs'], outfile: 'dist/sea/main.cjs', bundle: true, platform: 'node', format: 'cjs', logLevel: 'warning' });

// What the binary unpacks, at the same paths as in the repo and the npm package.
const files = {
  'bpf/dist/sockscope.bpf.o': 'bpf/dist/sockscope.bpf.o',
};
// The bundle's entry and its chunks (scripts/bundle.mjs).
for (const name of await fs.readdir('dist')) {
  if (/^sockscope(-.*)?\.mjs$/.test(name)) files[`dist/${name}`] = `dist/${name}`;
}
// koffi and its native package, whole (only the files Node loads), at their node_modules
// paths so that the bundle's `import 'koffi'` resolves as it does from a checkout.
const koffiDir = path.dirname(require.resolve('koffi'));
const nativeDir = path.resolve(koffiDir, '..', '@koromix', `koffi-linux-${process.arch}`);
for (const dir of [koffiDir, nativeDir]) {
  for (const rel of await fs.readdir(dir, { recursive: true })) {
    if (!/\.(js|cjs|mjs|json|node)$/.test(rel) || rel.startsWith('musl_')) continue;
    const abs = path.join(dir, rel);
    files[path.relative(root, abs)] = abs;
  }
}
for (const name of await fs.readdir('recordings')) {
  if (name.endsWith('.ssrec')) files[`recordings/${name}`] = `recordings/${name}`;
}
for (const [key, src] of Object.entries(files)) {
  if (!(await fs.pathExists(src))) throw new Error(`build-binary: ${src} is missing (for ${key})`);
}

const hash = createHash('sha256');
for (const [key, src] of Object.entries(files).sort()) hash.update(key).update(await fs.readFile(src));
const manifest = { hash: hash.digest('hex').slice(0, 16), files: Object.keys(files) };
await fs.outputJson('dist/sea/manifest.json', manifest);

await fs.outputJson('dist/sea/sea-config.json', {
  main: 'dist/sea/main.cjs',
  output: 'dist/sea/sockscope.blob',
  disableExperimentalSEAWarning: true,
  execArgv: NODE_FLAGS,
  useCodeCache: false,
  useSnapshot: false,
  assets: { 'manifest.json': 'dist/sea/manifest.json', ...files },
});
await $`${process.execPath} --experimental-sea-config dist/sea/sea-config.json`.quiet();

// The runtime: the Node that runs this script (Node 24 from the `node` npm package),
// without its symbol and debug tables (~18 MB: only .dynsym, which native modules such as
// koffi link against, is needed at run time). The SEA fuse lives in .rodata, which strip
// keeps; a strip that fails or yields a Node that does not run is not used.
await fs.copy(process.execPath, 'dist/sockscope');
await fs.chmod('dist/sockscope', 0o755);
await fs.copy(process.execPath, 'dist/sea/node-stripped');
const stripped = await $`strip --strip-all dist/sea/node-stripped`.quiet().nothrow();
const runs = stripped.exitCode === 0 && (await $`dist/sea/node-stripped -e ${'process.exit(process.version === "v' + process.versions.node + '" ? 0 : 1)'}`.nothrow()).exitCode === 0;
const hasFuse = runs && (await fs.readFile('dist/sea/node-stripped')).includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2');
if (hasFuse) await fs.move('dist/sea/node-stripped', 'dist/sockscope', { overwrite: true });
else console.warn(`build-binary: strip unavailable or unsafe here (${stripped.stderr.trim().split('\n').pop() || 'node did not run'}); the binary keeps its symbols`);
await fs.remove('dist/sea/node-stripped');
await $`${process.execPath} node_modules/postject/dist/cli.js dist/sockscope NODE_SEA_BLOB dist/sea/sockscope.blob --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2`;
const { size } = await fs.stat('dist/sockscope');
console.log(`dist/sockscope: ${(size / 1048576).toFixed(1)} MiB, node ${process.versions.node}, ${manifest.files.length} embedded files`);
