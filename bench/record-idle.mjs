#!/usr/bin/env node
// `sockscope record`'s CPU when nothing happens (issue 6's idle target: < 1% of a core),
// for one or more builds in turn: `--repo OLD --repo NEW` alternates them, --pairs times.
// Process-tree CPU (user + system, from /proc) over --seconds, after a 3 s settle.
// The machine's own sockets count: record follows every TCP socket of the host.
//   node bench/record-idle.mjs --repo /tmp/main-ref --repo . --pairs 5 [--seconds 20]
// Prints one JSON line per run: {repo, cpuPct}.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { cpuSeconds, killOwnedSync, sleep, start, stop, treePids } from './lib/proc.mjs';
import { sockscopePaths, waitForBpf } from './lib/sockscope.mjs';

const { values } = parseArgs({
  options: {
    repo: { type: 'string', multiple: true, default: ['.'] },
    pairs: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '20' },
  },
});
const workDir = mkdtempSync(path.join(os.tmpdir(), 'sockscope-record-idle-'));
process.on('exit', killOwnedSync);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

for (let pair = 0; pair < Number(values.pairs); pair++) {
  for (const [i, repo] of values.repo.entries()) {
    const { node, nodeArgs } = sockscopePaths(path.resolve(repo));
    const child = start(node, [...nodeArgs, 'record', '-o', path.join(workDir, `idle-${pair}-${i}.ssrec`)], { name: 'sockscope record (idle)' });
    if (!(await waitForBpf(child.pid, () => child.exitCode === null && child.signalCode === null))) throw new Error(`${repo}: no attach`);
    await sleep(3000);
    const pids = treePids(child.pid);
    const c0 = cpuSeconds(pids); const t0 = performance.now();
    await sleep(Number(values.seconds) * 1000);
    const c1 = cpuSeconds(pids); const wall = (performance.now() - t0) / 1000;
    await stop(child, 'SIGINT', 30000);
    console.log(JSON.stringify({ pair, repo, cpuPct: Number(((100 * (c1.total - c0.total)) / wall).toFixed(3)) }));
  }
}
