#!/usr/bin/env node
// Writes dist/sockscope: one executable (Node's single executable applications) that
// embeds the Node 24 runtime, the bundled JS, the BPF object, the recordings and koffi's
// native module. Its only system requirement is libbpf.so.1.
import { $, fs, path } from 'zx';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

$.verbose = false;
const root = path.resolve(import.meta.dirname, '..');
process.chdir(root);
const require = createRequire(import.meta.url);

await $`node scripts/build.mjs`;
await $`node node_modules/esbuild/bin/esbuild src/sea/main.cjs --outfile=dist/sea/main.cjs --platform=node --format=cjs --log-level=warning`;

// What the binary unpacks, at the same paths as in the repo and the npm package.
const koffiDir = path.dirname(require.resolve('koffi/package.json'));
const nativeDir = path.resolve(koffiDir, '..', '@koromix', `koffi-linux-${process.arch}`);
const files = {
  'dist/sockscope.mjs': 'dist/sockscope.mjs',
  'bpf/dist/sockscope.bpf.o': 'bpf/dist/sockscope.bpf.o',
  'node_modules/koffi/package.json': path.join(koffiDir, 'package.json'),
  'node_modules/koffi/index.js': path.join(koffiDir, 'index.js'),
  'node_modules/koffi/src/koffi/index.js': path.join(koffiDir, 'src/koffi/index.js'),
  [`node_modules/@koromix/koffi-linux-${process.arch}/package.json`]: path.join(nativeDir, 'package.json'),
  [`node_modules/@koromix/koffi-linux-${process.arch}/index.js`]: path.join(nativeDir, 'index.js'),
  [`node_modules/@koromix/koffi-linux-${process.arch}/linux_${process.arch}/koffi.node`]: path.join(nativeDir, `linux_${process.arch}/koffi.node`),
};
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
  useCodeCache: false,
  useSnapshot: false,
  assets: { 'manifest.json': 'dist/sea/manifest.json', ...files },
});
await $`node --experimental-sea-config dist/sea/sea-config.json`;

// The runtime: the Node that runs this script (Node 24 from the `node` npm package).
await fs.copy(process.execPath, 'dist/sockscope');
await fs.chmod('dist/sockscope', 0o755);
await $`strip --strip-debug dist/sockscope`.nothrow();
await $`node node_modules/postject/dist/cli.js dist/sockscope NODE_SEA_BLOB dist/sea/sockscope.blob --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2`;
const { size } = await fs.stat('dist/sockscope');
console.log(`dist/sockscope: ${(size / 1048576).toFixed(1)} MiB, node ${process.versions.node}, ${manifest.files.length} embedded files`);
