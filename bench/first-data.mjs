#!/usr/bin/env node
// Start to first data as section 3 measures it (an open loopback connection, the TUI in a
// 120x40 tmux pane polled every 25 ms until the connection's port shows), for one or more
// builds in turn: `--repo OLD --repo NEW` alternates them, --rounds times, so that the VM's
// drift moves both alike.
//   node bench/first-data.mjs --repo /tmp/main-ref --repo . --rounds 8
// Prints one JSON line per run ({repo, ms}) and a summary per build.
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { killOwnedSync } from './lib/proc.mjs';
import { summary } from './lib/stats.mjs';
import { firstData } from './sections/footprint.mjs';

const { values } = parseArgs({
  options: {
    repo: { type: 'string', multiple: true, default: ['.'] },
    rounds: { type: 'string', default: '5' },
    port: { type: 'string', default: '18990' },
  },
});
process.on('exit', killOwnedSync);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

const repos = values.repo.map((r) => path.resolve(r));
const samples = new Map(repos.map((r) => [r, []]));
for (let round = 0; round < Number(values.rounds); round++) {
  // Rotate the start order so that neither build always runs right after the other.
  const order = round % 2 === 0 ? repos : [...repos].reverse();
  for (const repo of order) {
    const r = await firstData({ repoDir: repo }, Number(values.port), 1);
    for (const note of r.notes) process.stderr.write(`${repo}: ${note}\n`);
    for (const ms of r.samples) {
      samples.get(repo).push(ms);
      console.log(JSON.stringify({ repo, ms: Math.round(ms) }));
    }
  }
}
for (const [repo, ms] of samples) {
  const s = summary(ms);
  console.log(`${repo}: median ${Math.round(s?.median ?? NaN)} ms (${Math.round(s?.min ?? NaN)}-${Math.round(s?.max ?? NaN)}, n=${ms.length})`);
}
