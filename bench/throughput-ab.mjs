#!/usr/bin/env node
// nginx + wrk requests/s with nothing attached and with sockscope monitors of one or more
// builds, interleaved per round (the order rotating), as section 1 runs them: each
// configuration first serves 5 s of keep-alive load unmeasured (a monitor in steady state),
// then one measured wrk run. Prints per round the ratio to that round's nothing, and the CPU
// of the monitor's own process and of its terminal (the tmux server, for the TUI) apart, in
// % of a core: what the TUI costs beyond `record` and who spends it.
//
//   node bench/throughput-ab.mjs --load keepalive --monitor record --monitor tui --repo . --rounds 5
//   node bench/throughput-ab.mjs --load close --monitor tui --repo /tmp/old --repo . --rounds 5
//
// Each --repo is a directory holding dist/sockscope.mjs and bpf/dist/sockscope.bpf.o.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cpuSeconds, killOwnedSync } from './lib/proc.mjs';
import { startNginx, stopNginx, runWrk } from './lib/workloads.mjs';
import { monitorDefinitions } from './lib/monitors.mjs';
import { WARM_UP_S } from './sections/overhead.mjs';

const { values: opts } = parseArgs({
  options: {
    load: { type: 'string', default: 'keepalive' }, // keepalive | close
    monitor: { type: 'string', multiple: true, default: [] }, // record | tui
    repo: { type: 'string', multiple: true, default: [] },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' },
    port: { type: 'string', default: '18500' },
  },
});
if (!['keepalive', 'close'].includes(opts.load)) throw new Error(`--load takes keepalive or close, not '${opts.load}'`);
const work = mkdtempSync(path.join(tmpdir(), 'sockscope-ab-'));
const seconds = Number(opts.duration);
const close = opts.load === 'close';
process.on('exit', killOwnedSync);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

const benchDir = new URL('.', import.meta.url).pathname;
const nginx = await startNginx({ benchDir, workDir: work, port: Number(opts.port) });
await runWrk(nginx.url, 1, false);

// Configurations: nothing, then every (repo, monitor) pair.
const configs = [{ label: 'nothing', start: async () => ({ ok: true, none: true }) }];
for (const repo of opts.repo) {
  const defs = monitorDefinitions({ repoDir: path.resolve(repo), benchDir, workDir: work, sockscopeOk: true });
  for (const id of opts.monitor) {
    const def = defs.find((d) => d.id === id);
    if (!def) throw new Error(`--monitor takes record or tui, not '${id}'`);
    configs.push({ label: `${id} ${repo}`, start: def.start });
  }
}

async function measure(config) {
  const h = await config.start();
  if (!h.ok) throw new Error(`${config.label}: ${h.reason}`);
  await runWrk(nginx.url, WARM_UP_S, false);
  const pids = h.none ? [] : h.pids();
  const extra = h.none ? [] : h.extraPids();
  const c0 = cpuSeconds(pids), t0 = cpuSeconds(extra), w0 = performance.now();
  const r = await runWrk(nginx.url, seconds, close);
  const wall = (performance.now() - w0) / 1000;
  const c1 = cpuSeconds(pids), t1 = cpuSeconds(extra);
  if (!h.none) await h.stop();
  if (r.failed) throw new Error(`wrk: ${r.failed}`);
  return { rps: r.rps, cpu: (100 * (c1.total - c0.total)) / wall, term: (100 * (t1.total - t0.total)) / wall };
}

const rows = [];
for (let round = 0; round < Number(opts.rounds); round++) {
  const order = configs.map((_, i) => configs[(i + round) % configs.length]);
  const res = new Map();
  for (const c of order) res.set(c.label, await measure(c));
  rows.push(res);
  const base = res.get('nothing').rps;
  console.log(`round ${round + 1}: ` + configs.map((c) => {
    const m = res.get(c.label);
    return c.label === 'nothing' ? `nothing ${m.rps.toFixed(0)}/s`
      : `${c.label} ${(m.rps / base).toFixed(3)} (cpu ${m.cpu.toFixed(1)}%, terminal ${m.term.toFixed(1)}%)`;
  }).join(', '));
}
await stopNginx(nginx);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const spread = (xs) => `${Math.min(...xs).toFixed(3)}-${Math.max(...xs).toFixed(3)}`;
for (const c of configs.slice(1)) {
  const ratios = rows.map((r) => r.get(c.label).rps / r.get('nothing').rps);
  const cpu = rows.map((r) => r.get(c.label).cpu), term = rows.map((r) => r.get(c.label).term);
  console.log(`${opts.load} ${c.label}: ratio to nothing median ${median(ratios).toFixed(3)} (${spread(ratios)}, n=${ratios.length}); ` +
    `own CPU ${median(cpu).toFixed(2)}% of a core (${spread(cpu)}), terminal ${median(term).toFixed(2)}% (${spread(term)})`);
}
console.log(JSON.stringify(rows.map((r) => Object.fromEntries(r))));
