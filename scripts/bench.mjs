#!/usr/bin/env node
// `npm run bench`: what sockscope costs the host, side by side with nethogs and bpftrace, in
// one run on this machine; writes docs/performance.md. See bench/README.md for the options.
//   node scripts/bench.mjs                 full run (about 30 minutes on 2 cores)
//   node scripts/bench.mjs --quick         CI: proves the harness works (about 2 minutes)
//   --reps N  --duration S  --sections overhead,capacity,footprint,replay,tui  --out FILE
//   --render results.json                  rewrite the report from a saved run's numbers
// Needs root (BPF, nethogs, bpf_stats). Only loopback traffic; only our own processes,
// stopped by pid; every loop bounded in count and time; kernel.bpf_stats_enabled restored.
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from '../bench/lib/args.mjs';
import { killOwnedSync } from '../bench/lib/proc.mjs';
import { enableStats, restoreStats } from '../bench/lib/bpfstats.mjs';
import { describeMachine } from '../bench/lib/machine.mjs';
import { compileTools } from '../bench/lib/compile.mjs';
import { buildSockscope } from '../bench/lib/sockscope.mjs';
import { runOverhead } from '../bench/sections/overhead.mjs';
import { runCapacity } from '../bench/sections/capacity.mjs';
import { runFootprint } from '../bench/sections/footprint.mjs';
import { runExternal } from '../bench/sections/external.mjs';
import { renderReport } from '../bench/report.mjs';

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = path.join(repoDir, 'bench');
const SECTIONS = ['overhead', 'capacity', 'footprint', 'replay', 'tui'];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    duration: { type: 'string' },
    sections: { type: 'string' },
    out: { type: 'string' },
    'base-port': { type: 'string', default: '18080' },
    render: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(`usage: node scripts/bench.mjs [--quick] [--reps N] [--duration SECONDS] [--sections ${SECTIONS.join(',')}] [--out FILE]\n       node scripts/bench.mjs --render results.json [--out FILE]\n`);
  process.exit(0);
}
// Re-render a report from a saved results.json (after changing report.mjs), measuring nothing.
if (values.render) {
  const results = JSON.parse(readFileSync(values.render, 'utf8'));
  const out = values.out ?? path.join(repoDir, 'docs', 'performance.md');
  writeFileSync(out, renderReport(results));
  process.stderr.write(`wrote ${out} from ${values.render}\n`);
  process.exit(0);
}
const quick = values.quick;
const opts = {
  quick,
  reps: Number(values.reps ?? (quick ? 1 : 9)),
  duration: Number(values.duration ?? (quick ? 2 : 3)),
  sections: (values.sections ?? SECTIONS.join(',')).split(',').map((s) => s.trim()).filter(Boolean),
  basePort: Number(values['base-port']),
  // Quick mode writes next to its work files, so CI never overwrites the committed report.
  out: values.out ?? null,
};
for (const s of opts.sections) if (!SECTIONS.includes(s)) { console.error(`bench: unknown section '${s}' (${SECTIONS.join(', ')})`); process.exit(2); }
if (!(opts.reps >= 1 && opts.reps <= 50) || !(opts.duration >= 1 && opts.duration <= 120)) {
  console.error('bench: --reps 1..50 and --duration 1..120 seconds'); process.exit(2);
}
if (process.getuid?.() !== 0) { console.error('bench: needs root (BPF programs, nethogs, kernel.bpf_stats_enabled)'); process.exit(3); }

const workDir = mkdtempSync(path.join(os.tmpdir(), 'sockscope-bench-'));
const startedAt = Date.now();
const log = (msg) => process.stderr.write(`[bench +${((Date.now() - startedAt) / 1000).toFixed(0)}s] ${msg}\n`);

// Whatever happens, our children die and the sysctl goes back.
const cleanup = () => { killOwnedSync(); restoreStats(); };
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { log(`${sig}: stopping`); cleanup(); process.exit(130); });
// A watchdog bounds the whole run even if something hangs.
const budgetMin = quick ? 10 : 90;
setTimeout(() => { log(`watchdog: over ${budgetMin} min, aborting`); cleanup(); process.exit(1); }, budgetMin * 60000).unref();

log(`mode ${quick ? 'quick' : 'full'}: reps ${opts.reps}, ${opts.duration} s per measurement, sections ${opts.sections.join(',')}; work dir ${workDir}`);
const machine = await describeMachine(repoDir);
const tools = await compileTools(path.join(benchDir, 'c'), workDir);
log('building sockscope (node scripts/build.mjs)');
const build = await buildSockscope(repoDir);
if (!build.ok) log(`sockscope not available: ${build.reason}`);
const statsOn = enableStats();

const ctx = { opts, log, repoDir, benchDir, workDir, tools, sockscopeOk: build.ok, sockscopeReason: build.reason, bpfStats: statsOn };
const results = { machine, opts, sockscope: build, bpfStats: statsOn };
const sectionRunners = { overhead: runOverhead, capacity: runCapacity, footprint: runFootprint, replay: (c) => runExternal(c, 'replay'), tui: (c) => runExternal(c, 'tui') };
for (const s of opts.sections) {
  const t0 = Date.now();
  try {
    results[s] = await sectionRunners[s](ctx);
  } catch (err) {
    log(`${s} failed: ${err.stack ?? err}`);
    results[s] = { error: String(err.message ?? err) };
  }
  results[s].elapsedSeconds = Math.round((Date.now() - t0) / 1000);
}
restoreStats();
machine.loadavgEnd = os.loadavg().map((x) => x.toFixed(2)).join(' ');
results.elapsedSeconds = Math.round((Date.now() - startedAt) / 1000);

const out = opts.out ?? (quick ? path.join(workDir, 'performance.md') : path.join(repoDir, 'docs', 'performance.md'));
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(path.join(workDir, 'results.json'), JSON.stringify(results, null, 2));
// The committed report keeps its raw samples next to it (re-render with --render).
if (!quick && !opts.out) writeFileSync(path.join(benchDir, 'results', 'latest.json'), JSON.stringify(results, null, 2));
writeFileSync(out, renderReport(results));
log(`wrote ${out} (raw numbers: ${path.join(workDir, 'results.json')}) in ${results.elapsedSeconds} s`);
// Quick mode is a harness check: fail only if a section crashed, not on missed targets.
const crashed = opts.sections.filter((s) => results[s]?.error);
process.exit(crashed.length ? 1 : 0);
