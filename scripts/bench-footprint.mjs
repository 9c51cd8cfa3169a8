#!/usr/bin/env node
// One run of the benchmark's footprint measurement (bench/sections/footprint.mjs), for
// comparing builds interleaved: a fresh sockscope (live --format jsonl, or the TUI in a
// 120x40 tmux pane) built in --repo, FLOWS flows held open with hold_conns while its RSS
// is sampled every 0.5 s for --hold seconds. One JSON line on stdout: RSS before, 5 s into
// the hold, at its end, the median of its last 30 s (lateMedianMiB: the steady value, less
// noisy than the one end sample) and the peak. As root.
//
//   node scripts/bench-footprint.mjs --mode jsonl|tui [--flows 100000] [--hold 65] [--repo DIR] [--max-flows N] [--heap] [--base-port P]
//
// --base-port (default 19080) must be below the ephemeral port range: refused otherwise.
// notes lists each hold_conns that exited before holding (why `opened` is short).
//
// --max-flows is passed to sockscope (the TUI keeps 100,000 flows unless told otherwise;
// 50,000 before this default was raised: pass --max-flows 100000 to compare such a build).
// --heap also loads bench/profile/memory-report.cjs and adds V8's heap spaces at the end
// of the hold.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from '../bench/lib/args.mjs';
import { compileTools } from '../bench/lib/compile.mjs';
import { treePids, sleep } from '../bench/lib/proc.mjs';
import { finishJsonl, startLiveJsonl } from '../bench/lib/sockscope.mjs';
import { holdAndSample, startTuiPane } from '../bench/sections/footprint.mjs';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'jsonl' }, flows: { type: 'string', default: '100000' }, hold: { type: 'string', default: '65' },
    repo: { type: 'string' }, 'base-port': { type: 'string', default: '19080' }, heap: { type: 'boolean', default: false },
    'max-flows': { type: 'string' },
  },
});
if (!['jsonl', 'tui'].includes(values.mode)) throw new Error(`--mode jsonl|tui, not ${values.mode}`);
// hold_conns listens on --base-port and up: a port in the ephemeral range may be held by
// a connection (or a TIME_WAIT of the run before), and that holder then opens nothing.
const [ephemeralLow, ephemeralHigh] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
const basePort = Number(values['base-port']);
if (basePort + 16 >= ephemeralLow && basePort <= ephemeralHigh) {
  console.error(`bench-footprint: --base-port ${basePort} is in (or just below) the ephemeral range ${ephemeralLow}-${ephemeralHigh}: pick one below ${ephemeralLow - 16}`);
  process.exit(2);
}
const repoDir = path.resolve(values.repo ?? new URL('..', import.meta.url).pathname);
const workDir = mkdtempSync(path.join(tmpdir(), 'sockscope-bench-footprint-'));
const heapFile = path.join(workDir, 'heap.txt');
if (values.heap) {
  // Inherited by sockscope (and by the tmux server that starts the TUI).
  process.env.NODE_OPTIONS = `--require ${new URL('../bench/profile/memory-report.cjs', import.meta.url).pathname}`;
  process.env.SOCKSCOPE_MEMORY_REPORT_OUT = heapFile;
}
try {
  const tools = await compileTools(new URL('../bench/c', import.meta.url).pathname, workDir);
  const ctx = { tools, repoDir };
  const extra = values['max-flows'] ? ['--max-flows', values['max-flows']] : [];
  const mon = values.mode === 'jsonl' ? await startLiveJsonl(repoDir, extra) : await startTuiPane(ctx, `fp-${process.pid}`, extra);
  if (!mon.ok) throw new Error(mon.reason);
  const pids = mon.pids ?? (() => treePids(mon.child.pid));
  let topMappings;
  const heapReport = async () => {
    if (!values.heap) return;
    process.kill(pids()[0], 'SIGUSR2');
    await sleep(300);
    topMappings = largestMappings(pids()[0]);
  };
  const row = await holdAndSample(ctx, {
    flows: Number(values.flows), mode: values.mode, pids, portBase: basePort, holdSeconds: Number(values.hold),
    onHeld: async () => { await heapReport(); await mon.capture?.(); },
  });
  if (values.mode === 'jsonl') {
    const fin = await finishJsonl(mon.child, 120000);
    row.reported = fin.flows.filter((f) => f.proto === 'tcp' && (row.ports.has(f.lport) || row.ports.has(f.rport))).length;
  } else {
    row.screen = mon.header();
    await mon.stop();
  }
  const mib = (kib) => Math.round((kib / 1024) * 10) / 10;
  const mb = (kib) => Math.round((kib * 1024) / 1e6);
  process.stdout.write(`${JSON.stringify({
    repo: repoDir, mode: row.mode, maxFlows: values['max-flows'], flows: row.flows, opened: row.opened, notes: row.notes, reported: row.reported, screen: row.screen,
    beforeMiB: mib(row.rssBeforeKiB), after5sMiB: mib(row.rssFirstKiB), endMiB: mib(row.rssKiB), lateMedianMiB: mib(row.rssLateMedianKiB), peakMiB: mib(row.rssPeakKiB), lateCpuPercent: row.lateCpuPercent === null ? null : Math.round(row.lateCpuPercent * 100) / 100,
    endMB: mb(row.rssKiB), peakMB: mb(row.rssPeakKiB), byMapping: row.byMapping,
    heap: values.heap ? readFileSync(heapFile, 'utf8').trim() : undefined, topMappings,
  })}\n`);
} finally {
  rmSync(workDir, { recursive: true, force: true });
}

/** The 12 mappings with the most resident memory: "rss/size KiB name". */
function largestMappings(pid) {
  const maps = [];
  let cur = null;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      cur = { name: head[3].trim() || 'anon', size: (parseInt(head[2], 16) - parseInt(head[1], 16)) / 1024, rss: 0 };
      maps.push(cur);
    } else if (cur && line.startsWith('Rss:')) cur.rss = Number(/\d+/.exec(line)[0]);
  }
  return maps.sort((a, b) => b.rss - a.rss).slice(0, 12).map((m) => `${m.rss}/${m.size} ${m.name}`);
}
