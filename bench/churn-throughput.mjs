#!/usr/bin/env node
// Connection-churn throughput (nginx + wrk, `Connection: close`, as section 1's churn row)
// with nothing attached and with `sockscope record` of each build, interleaved: per round
// nothing and every --repo once, the order rotating from round to round, each as a ratio to
// that round's nothing. Shorter than `scripts/bench.mjs --sections overhead` when only the
// churn row is in question (a change to the BPF programs' cost per connection). nginx and wrk
// are pinned as section 1 pins them (PLACEMENT in lib/workloads.mjs) and bpf_stats is off.
// bench/throughput-ab.mjs --load close (a nothing run between every two builds) is the
// tighter comparison; this one is kept for its per-build ratio line.
//
//   node bench/churn-throughput.mjs --repo /tmp/old --repo . --rounds 3 --duration 5
//
// Each --repo is a directory holding dist/sockscope.mjs and bpf/dist/sockscope.bpf.o.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { sleep, stop, killOwnedSync } from './lib/proc.mjs';
import { startNginx, stopNginx, runWrk, placement } from './lib/workloads.mjs';
import { enableStats, setStats, restoreStats } from './lib/bpfstats.mjs';
import { startRecord } from './lib/sockscope.mjs';

const { values: opts } = parseArgs({
  options: {
    repo: { type: 'string', multiple: true, default: [] },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    settle: { type: 'string', default: '2' }, // seconds between attach and the measured load
    port: { type: 'string', default: '18400' },
  },
});
const work = mkdtempSync(path.join(tmpdir(), 'sockscope-churn-'));
const seconds = Number(opts.duration);
process.on('exit', () => { killOwnedSync(); restoreStats(); });
if (enableStats()) setStats(false); // two clock reads per BPF run, which only monitors pay
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

const benchDir = new URL('.', import.meta.url).pathname;
const nginx = await startNginx({ benchDir, workDir: work, port: Number(opts.port), place: placement('close') });
await runWrk(nginx, 3, false); // warm nginx up (keep-alive), unmeasured

// One measured churn run with `repo`'s record attached (null: nothing attached).
async function measure(repo, round) {
  let capture = null;
  if (repo) {
    capture = await startRecord(path.resolve(repo), path.join(work, `r${round}-${path.basename(repo)}.ssrec`));
    if (!capture.ok) throw new Error(capture.reason);
    await sleep(Number(opts.settle) * 1000);
  }
  const r = await runWrk(nginx, seconds, true);
  if (capture) await stop(capture.child, 'SIGINT', 10000);
  if (r.failed) throw new Error(`wrk: ${r.failed}`);
  return r.rps;
}

const configs = [null, ...opts.repo];
const label = (c) => c ?? 'nothing';
const rows = [];
for (let round = 0; round < Number(opts.rounds); round++) {
  const order = configs.map((_, i) => configs[(i + round) % configs.length]);
  const rps = new Map();
  for (const c of order) rps.set(c, await measure(c, round));
  const base = rps.get(null);
  rows.push(rps);
  console.log(`round ${round + 1}: ${configs.map((c) => `${label(c)} ${rps.get(c).toFixed(0)}/s${c ? ` (${(rps.get(c) / base).toFixed(3)})` : ''}`).join(', ')}`);
}
await stopNginx(nginx);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
for (const c of opts.repo) {
  const ratios = rows.map((r) => r.get(c) / r.get(null));
  console.log(`${c}: median ratio to nothing ${median(ratios).toFixed(3)} (${ratios.map((x) => x.toFixed(3)).join(', ')})`);
}
if (opts.repo.length === 2) {
  const [a, b] = opts.repo;
  const ratios = rows.map((r) => r.get(b) / r.get(a));
  console.log(`${b} / ${a}: median ${median(ratios).toFixed(3)} (${ratios.map((x) => x.toFixed(3)).join(', ')})`);
}
console.log(JSON.stringify(rows.map((r) => Object.fromEntries([...r].map(([c, v]) => [label(c), v])))));
