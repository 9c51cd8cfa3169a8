#!/usr/bin/env node
// Where sockscope's in-kernel time goes, per BPF program: runs and ns per connection (tcp_churn)
// or per request (udp_rr), from the kernel's own accounting (kernel.bpf_stats_enabled, restored
// on exit). Compares builds interleaved: each --tree is a directory holding dist/sockscope.mjs
// and bpf/dist/sockscope.bpf.o (a worktree, or a copy of one), run as `record` like a user would.
//
//   node bench/bpf-programs.mjs --load churn --tree /tmp/old --tree . --reps 3 --seconds 5
//   node bench/bpf-programs.mjs --load udp --tree .
//   node bench/bpf-programs.mjs --load hold --conns 9000 --tree /tmp/old --tree .   # per-interval
//     cost (the snapshot) with N connections held open (2N sockets), per held connection
//   node bench/bpf-programs.mjs --together --tree /tmp/old --tree . --reps 6   # the builds
//     attached at once, measured on the same load (attach order alternates per rep): ratios
//     that the VM's speed drift (~10% from run to run) does not move
//   node bench/bpf-programs.mjs --load keepalive --together --tree /tmp/old --tree .   # nginx +
//     wrk (section 1's placement), per request: what every TCP send/recv costs (--load http-close:
//     Connection: close)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { run, start, stop, sleep, killOwnedSync } from './lib/proc.mjs';
import { enableStats, restoreStats, snapshot } from './lib/bpfstats.mjs';
import { compileTools } from './lib/compile.mjs';
import { waitForBpf } from './lib/sockscope.mjs';
import { placement, runWrk, startNginx, stopNginx } from './lib/workloads.mjs';
import { NODE_FLAGS } from '../scripts/node-flags.mjs';

const { values: opts } = parseArgs({
  options: {
    load: { type: 'string', default: 'churn' },
    tree: { type: 'string', multiple: true, default: ['.'] },
    reps: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    clients: { type: 'string', default: '4' },
    port: { type: 'string', default: '18300' },
    conns: { type: 'string', default: '9000' },
    together: { type: 'boolean', default: false },
  },
});
const work = mkdtempSync(path.join(tmpdir(), 'sockscope-bpfprog-'));
const tools = await compileTools(new URL('./c', import.meta.url).pathname, work);
const seconds = Number(opts.seconds);
let port = Number(opts.port);

process.on('exit', () => { restoreStats(); killOwnedSync(); });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
if (!enableStats()) throw new Error('cannot set kernel.bpf_stats_enabled (not root?)');

// One load; returns how many units (connections or requests) it made.
async function load(http) {
  const p = port++;
  if (opts.load === 'churn') {
    const r = await run(tools.tcp_churn, [String(p), String(seconds), '2000000', opts.clients], { timeoutMs: (seconds + 30) * 1000 });
    return JSON.parse(r.stdout.trim().split('\n').pop()).connections;
  }
  if (http) {
    const r = await runWrk(http, seconds, opts.load === 'http-close');
    if (r.rps === null) throw new Error(`wrk: ${r.failed}`);
    return Math.round(r.rps * seconds);
  }
  const server = start(tools.udp_rr, ['server', String(p), String(seconds + 3)], { name: 'udp_rr server' });
  await sleep(100);
  const r = await run(tools.udp_rr, ['client', String(p), String(seconds), '16'], { timeoutMs: (seconds + 20) * 1000 });
  await stop(server, 'SIGTERM', 2000);
  return JSON.parse(r.stdout.trim().split('\n').pop()).requests;
}

// Connections held open (hold_conns, at most 9,800 per process) while sockscope runs.
async function holdConns() {
  const n = Number(opts.conns);
  const holder = start(tools.hold_conns, [String(n), String(port), String(seconds + 60)], { name: 'hold_conns', stdio: ['pipe', 'pipe', 'pipe'] });
  port += Math.ceil(n / 20000) + 1;
  for (let i = 0; i < 200 && !/ready/.test(holder.out ?? ''); i++) await sleep(100);
  return { holder, n };
}

async function attach(tree) {
  const cli = path.resolve(tree, 'dist', 'sockscope.mjs');
  const child = start(process.execPath, [...NODE_FLAGS, cli, 'record', '-o', path.join(work, `r${port++}.ssrec`)], { name: 'sockscope record' });
  const progs = await waitForBpf(child.pid, () => child.exitCode === null && child.signalCode === null);
  if (!progs) throw new Error(`sockscope in ${tree} did not attach: ${child.err}`);
  return { tree, child, progs };
}

// One load with every tree of `trees` attached (one tree, or all with --together).
async function measure(trees) {
  const captures = [];
  for (const tree of trees) captures.push(await attach(tree));
  await sleep(500);
  const held = opts.load === 'hold' ? await holdConns() : null;
  // nginx (and its 1 s check run) before the counters are read: only wrk's requests count.
  const http = opts.load === 'keepalive' || opts.load === 'http-close'
    ? await startNginx({ benchDir: new URL('.', import.meta.url).pathname, workDir: work, port: port++, place: placement(opts.load === 'http-close' ? 'close' : 'keepalive') })
    : null;
  if (held) await sleep(3000); // their opens announced: the intervals measured are steady
  const before = await snapshot();
  const units = held ? (await sleep(seconds * 1000), held.n) : await load(http);
  const after = await snapshot();
  if (http) await stopNginx(http);
  if (held) await stop(held.holder, 'SIGTERM', 5000);
  for (const c of captures) await stop(c.child, 'SIGINT', 10000);
  return captures.map(({ tree, progs }) => {
    const per = {};
    let totalNs = 0, totalRuns = 0;
    for (const id of progs) {
      const a = after.get(id), b = before.get(id);
      if (!a) continue;
      const runs = a.runCnt - (b?.runCnt ?? 0), ns = a.runTimeNs - (b?.runTimeNs ?? 0);
      totalNs += ns; totalRuns += runs;
      if (runs > 0) per[a.name] = { runsPerUnit: runs / units, nsPerRun: ns / runs, nsPerUnit: ns / units };
    }
    return { tree, units, runsPerUnit: totalRuns / units, nsPerRun: totalNs / totalRuns, nsPerUnit: totalNs / units, per };
  });
}

const results = [];
const print = (r) => console.log(`${opts.load} ${r.tree}: ${r.units} units, ${r.runsPerUnit.toFixed(2)} runs/unit, ${r.nsPerRun.toFixed(0)} ns/run, ${r.nsPerUnit.toFixed(0)} ns/unit`);
for (let rep = 0; rep < Number(opts.reps); rep++) {
  if (opts.together) {
    // Attach order alternates: the program attached first runs first at each hook.
    const order = rep % 2 ? [...opts.tree].reverse() : opts.tree;
    const rs = await measure(order);
    for (const r of rs) { results.push({ ...r, rep }); print(r); }
    const [first, ...rest] = opts.tree.map((t) => rs.find((r) => r.tree === t));
    for (const r of rest) console.log(`  ${r.tree} / ${first.tree}: ${(r.nsPerUnit / first.nsPerUnit).toFixed(3)}`);
    continue;
  }
  for (const tree of opts.tree) {
    const [r] = await measure([tree]);
    results.push(r);
    print(r);
  }
}
// Per program: the median over repetitions of each tree.
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
for (const tree of opts.tree) {
  const mine = results.filter((r) => r.tree === tree);
  console.log(`\n${tree} (median of ${mine.length}): ${median(mine.map((r) => r.nsPerUnit)).toFixed(0)} ns per ${opts.load === 'churn' ? 'connection' : 'request'}, ${median(mine.map((r) => r.runsPerUnit)).toFixed(2)} runs`);
  const names = [...new Set(mine.flatMap((r) => Object.keys(r.per)))];
  for (const n of names) {
    const xs = mine.map((r) => r.per[n]).filter(Boolean);
    console.log(`  ${n.padEnd(20)} runs/unit ${median(xs.map((x) => x.runsPerUnit)).toFixed(2).padStart(6)}  ns/run ${median(xs.map((x) => x.nsPerRun)).toFixed(0).padStart(5)}  ns/unit ${median(xs.map((x) => x.nsPerUnit)).toFixed(0).padStart(6)}`);
  }
}
if (opts.together) {
  // The build attached first pays the cold cache misses on the socket and the task that the
  // second then finds warm (~1.5 us per connection under churn): reps alternate the order,
  // and each pair of reps (both orders) gives one ratio, the geometric mean of its two.
  const [first, ...rest] = opts.tree;
  for (const tree of rest) {
    const ratio = (rep) => results.find((r) => r.rep === rep && r.tree === tree).nsPerUnit / results.find((r) => r.rep === rep && r.tree === first).nsPerUnit;
    const pairs = [];
    for (let rep = 0; rep + 1 < Number(opts.reps); rep += 2) pairs.push(Math.sqrt(ratio(rep) * ratio(rep + 1)));
    console.log(`\n${tree} / ${first}, ns per unit: median ${median(pairs).toFixed(3)} of ${pairs.length} order-balanced pairs (${pairs.map((x) => x.toFixed(3)).join(', ')})`);
  }
}
console.log(JSON.stringify(results));
