#!/usr/bin/env node
// nginx + wrk requests/s with nothing attached and with sockscope monitors of one or more
// builds, as section 1 runs them (bench/README.md "Method of section 1"): nginx and wrk pinned
// (PLACEMENT), bpf_stats off, a nothing-attached run between every two configurations (per
// round: none, A, none, B, ..., the order rotating; one more none at the end), each monitor
// first serving section 1's warm-up on this load (WARM_UP) unmeasured, steady state; then one measured wrk run.
// Each run's ratio is against the geometric mean of the nothing runs on either side of it.
// Prints per round those ratios and the CPU of the monitor's own process and of its terminal
// (the tmux server, for the TUI) apart, in % of a core: what the TUI costs beyond `record`
// and who spends it. `--monitor none` adds "nothing attached" as a configuration of its own:
// its ratio is the noise floor (A/A).
//
//   node bench/throughput-ab.mjs --load keepalive --monitor record --monitor tui --repo . --rounds 8
//   node bench/throughput-ab.mjs --load close --monitor tui --repo /tmp/old --repo . --rounds 8
//   node bench/throughput-ab.mjs --load close --monitor none --rounds 10   # A/A
//   --placement free: nginx and wrk where the scheduler puts them (as before 2026-11-27)
//
// Each --repo is a directory holding dist/sockscope.mjs and bpf/dist/sockscope.bpf.o.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { cpuSeconds, killOwnedSync, sleep } from './lib/proc.mjs';
import { startNginx, stopNginx, runWrk, placement } from './lib/workloads.mjs';
import { monitorDefinitions } from './lib/monitors.mjs';
import { enableStats, setStats, restoreStats } from './lib/bpfstats.mjs';
import { WARM_UP } from './sections/overhead.mjs';
import { medianInterval } from './lib/stats.mjs';

const { values: opts } = parseArgs({
  options: {
    load: { type: 'string', default: 'keepalive' }, // keepalive | close
    monitor: { type: 'string', multiple: true, default: [] }, // record | tui
    repo: { type: 'string', multiple: true, default: [] },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' },
    port: { type: 'string', default: '18500' },
    placement: { type: 'string', default: 'pinned' }, // pinned | free
    'bpf-stats': { type: 'string', default: 'off' }, // off | on (as section 1 measured before 2026-11-27)
  },
});
if (!['keepalive', 'close'].includes(opts.load)) throw new Error(`--load takes keepalive or close, not '${opts.load}'`);
const work = mkdtempSync(path.join(tmpdir(), 'sockscope-ab-'));
const seconds = Number(opts.duration);
const close = opts.load === 'close';
const warmUpS = WARM_UP.find((w) => w.id === opts.load).s; // section 1's warm-up on this load
process.on('exit', () => { killOwnedSync(); restoreStats(); });
if (enableStats()) setStats(opts['bpf-stats'] === 'on');
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

const benchDir = new URL('.', import.meta.url).pathname;
const place = opts.placement === 'free' ? placement('free') : placement(opts.load);
const nginx = await startNginx({ benchDir, workDir: work, port: Number(opts.port), place });
await runWrk(nginx, 1, close);

// Configurations: nothing, then every (repo, monitor) pair.
const nothing = { label: 'nothing', start: async () => ({ ok: true, none: true }) };
const configs = [];
if (opts.monitor.includes('none')) configs.push({ label: 'none (A/A)', start: nothing.start });
for (const repo of opts.repo) {
  const defs = monitorDefinitions({ repoDir: path.resolve(repo), benchDir, workDir: work, sockscopeOk: true });
  for (const id of opts.monitor.filter((m) => m !== 'none')) {
    const def = defs.find((d) => d.id === id);
    if (!def) throw new Error(`--monitor takes record, tui or none, not '${id}'`);
    configs.push({ label: `${id} ${repo}`, start: def.start });
  }
}

async function measure(config) {
  const h = await config.start();
  if (!h.ok) throw new Error(`${config.label}: ${h.reason}`);
  if (!h.none) await runWrk(nginx, warmUpS, close);
  const pids = h.none ? [] : h.pids();
  const extra = h.none ? [] : h.extraPids();
  const c0 = cpuSeconds(pids), t0 = cpuSeconds(extra), w0 = performance.now();
  const r = await runWrk(nginx, seconds, close, { everyMs: 250 });
  const wall = (performance.now() - w0) / 1000;
  const c1 = cpuSeconds(pids), t1 = cpuSeconds(extra);
  if (!h.none) { await h.stop(); await sleep(500); }
  if (r.failed) throw new Error(`wrk: ${r.failed}`);
  return { rps: r.rps, series: r.series, at: Math.round(w0) / 1000, cpu: (100 * (c1.total - c0.total)) / wall, term: (100 * (t1.total - t0.total)) / wall };
}

// The sequence: per round none, A, none, B, ... (configurations rotating), one none at the end.
const seq = [];
for (let round = 0; round < Number(opts.rounds); round++) {
  for (let i = 0; i < configs.length; i++) seq.push({ round, config: nothing }, { round, config: configs[(i + round) % configs.length] });
}
seq.push({ round: Number(opts.rounds) - 1, config: nothing });
const runs = [];
for (const [slot, { round, config }] of seq.entries()) runs.push({ slot, round, label: config.label, ...(await measure(config)) });

const geomean = (xs) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
const nones = runs.filter((r) => r.label === 'nothing');
const ratioOf = (run) => {
  const before = nones.filter((b) => b.slot < run.slot).at(-1), after = nones.find((b) => b.slot > run.slot);
  return before && after ? run.rps / geomean([before.rps, after.rps]) : NaN;
};
for (let round = 0; round < Number(opts.rounds); round++) {
  const mine = runs.filter((r) => r.round === round && r.label !== 'nothing');
  console.log(`round ${round + 1}: nothing ${nones.filter((r) => r.round === round).map((r) => r.rps.toFixed(0)).join('/')}/s, ` + mine.map((m) =>
    `${m.label} ${ratioOf(m).toFixed(3)} (cpu ${m.cpu.toFixed(1)}%, terminal ${m.term.toFixed(1)}%)`).join(', '));
}
await stopNginx(nginx);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const spread = (xs) => `${Math.min(...xs).toFixed(3)}-${Math.max(...xs).toFixed(3)}`;
for (const c of configs) {
  const mine = runs.filter((r) => r.label === c.label);
  const ratios = mine.map(ratioOf), cpu = mine.map((r) => r.cpu), term = mine.map((r) => r.term);
  const ci = medianInterval(ratios);
  console.log(`${opts.load} ${c.label}: ratio to nothing median ${median(ratios).toFixed(3)} (${spread(ratios)}, n=${ratios.length}${ci ? `; median within ${ci.lo.toFixed(3)}-${ci.hi.toFixed(3)} at ${(100 * ci.level).toFixed(0)}%` : ''}), ${ratios.filter((x) => x < 1).length} below 1; ` +
    `own CPU ${median(cpu).toFixed(2)}% of a core (${spread(cpu)}), terminal ${median(term).toFixed(2)}% (${spread(term)})`);
}
// The nothing runs against their neighbouring nothing runs (two slots away): the noise floor.
const aa = nones.map(ratioOf).filter(Number.isFinite);
if (aa.length) console.log(`${opts.load} nothing vs the nothing runs around it: median ${median(aa).toFixed(3)} (${spread(aa)}, n=${aa.length})`);
// Where the noise is: the 250 ms rates inside a run (nginx's counter) against whole runs.
const sdLog = (xs) => { const l = xs.map(Math.log), m = l.reduce((a, b) => a + b, 0) / l.length; return Math.sqrt(l.reduce((a, b) => a + (b - m) ** 2, 0) / (l.length - 1)); };
const inRun = runs.filter((r) => r.series?.length > 2).map((r) => sdLog(r.series));
if (inRun.length) console.log(`${opts.load} spread (sd of log): 250 ms rates within a run ${(100 * median(inRun)).toFixed(1)}% (median over runs), nothing runs' requests/s ${(100 * sdLog(nones.map((r) => r.rps))).toFixed(1)}%`);
console.log(JSON.stringify(runs));
