#!/usr/bin/env node
// What a monitor adds to every syscall of every task on the host: ns per getppid() on one
// pinned CPU with nothing attached and with each build's `record` (--repo DIR each),
// rounds interleaved. A program on any syscalls/sys_* tracepoint sends every syscall
// through the slow entry/exit path, which bpf_stats does not count. As root.
//   node bench/syscall-cost.mjs --repo DIR [--repo DIR2] [--rounds 3] [--calls 3000000]
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { killOwnedSync, run, sleep, start, stop } from './lib/proc.mjs';
import { sockscopePaths, waitForBpf } from './lib/sockscope.mjs';
import { summary } from './lib/stats.mjs';

const { values } = parseArgs({
  options: { repo: { type: 'string', multiple: true, default: [] }, rounds: { type: 'string', default: '3' }, calls: { type: 'string', default: '3000000' } },
});
const benchDir = path.dirname(new URL(import.meta.url).pathname);
const workDir = mkdtempSync(path.join(os.tmpdir(), 'sockscope-syscall-'));
const loop = path.join(workDir, 'syscall_loop');
const cc = await run('gcc', ['-O2', '-Wall', '-o', loop, path.join(benchDir, 'c', 'syscall_loop.c')]);
if (cc.code !== 0) throw new Error(`gcc failed: ${cc.stderr.trim()}`);
process.on('exit', killOwnedSync);

/** Median of three runs of the loop on CPU 1, ns per syscall. */
async function nsPerSyscall() {
  const ns = [];
  for (let i = 0; i < 3; i++) ns.push(Number((await run('taskset', ['-c', '1', loop, values.calls])).stdout));
  return summary(ns).median;
}

const results = { nothing: [] };
for (const repo of values.repo) results[repo] = [];
for (let round = 0; round < Number(values.rounds); round++) {
  results.nothing.push(await nsPerSyscall());
  for (const repo of values.repo) {
    const { node, nodeArgs } = sockscopePaths(repo);
    const rec = start(node, [...nodeArgs, 'record', '-o', path.join(workDir, 'r.ssrec')], { name: 'sockscope record' });
    if (!(await waitForBpf(rec.pid, () => rec.exitCode === null))) throw new Error(`sockscope did not attach: ${rec.err.trim()}`);
    await sleep(1000);
    results[repo].push(await nsPerSyscall());
    await stop(rec);
  }
}
for (const [name, ns] of Object.entries(results)) {
  const s = summary(ns);
  console.log(`${name}: ${s.median.toFixed(1)} ns per syscall (${s.min.toFixed(1)}-${s.max.toFixed(1)}, n=${s.n})`);
}
