#!/usr/bin/env node
// Builds bpf/sockscope.bpf.c into bpf/dist/sockscope.bpf.o, the committed object that
// `npm ci` users load without clang (the cilium/ebpf bpf2go convention).
//   node scripts/build-bpf.mjs           rebuild the committed object
//   node scripts/build-bpf.mjs --check   rebuild into a temp file; exit 1 if it differs
// Reproducible: paths are relative to the repo root, the build dir is mapped away from
// debug info, DWARF is stripped (BTF and CO-RE relocations stay), so two builds of the
// same sources on the same toolchain give the same bytes.
import { $, argv, cd, fs, path, os } from 'zx';

$.verbose = false;
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
cd(root);

const outDir = 'bpf/.output';
const vmlinuxH = `${outDir}/vmlinux.h`;
const committed = 'bpf/dist/sockscope.bpf.o';

function need(tool, pkg) {
  return $`command -v ${tool}`.nothrow().then((r) => {
    if (r.exitCode !== 0) {
      console.error(`build-bpf: ${tool} not found: install ${pkg} (apt-get install -y clang llvm libbpf-dev bpftool)`);
      process.exit(4);
    }
  });
}

await need('clang', 'clang');
await need('llvm-strip', 'llvm');
await need('bpftool', 'bpftool');

await fs.mkdirp(outDir);
// vmlinux.h from the running kernel's BTF; only the types the program names end up in
// the object, so the result does not depend on unrelated kernel types.
const btf = await $`bpftool btf dump file /sys/kernel/btf/vmlinux format c`;
await fs.writeFile(vmlinuxH, btf.stdout);

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'sockscope-bpf-'));
const out = argv.check ? path.join(tmp, 'sockscope.bpf.o') : committed;
try {
  await fs.mkdirp(path.dirname(out));
  // -mcpu=v3: atomic fetch-and-add with a result (flow ids) needs it; kernels >= 5.12.
  const flags = ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', '-D__TARGET_ARCH_x86', '-I', outDir, '-I', 'bpf'];
  const repro = [`-fdebug-prefix-map=${root}=.`, '-fno-ident'];
  await $`clang ${flags} ${repro} -c bpf/sockscope.bpf.c -o ${out}`;
  await $`llvm-strip -g ${out}`;
  if (argv.check) {
    const [a, b] = await Promise.all([fs.readFile(out), fs.readFile(committed).catch(() => Buffer.alloc(0))]);
    if (!a.equals(b)) {
      console.error(`build-bpf --check: ${committed} is stale; run \`npm run build:bpf\` and commit it`);
      process.exit(1);
    }
    console.log(`build-bpf --check: ${committed} is up to date`);
  } else {
    console.log(`build-bpf: wrote ${committed} (${(await fs.stat(out)).size} bytes)`);
  }
} finally {
  await fs.remove(tmp);
}
