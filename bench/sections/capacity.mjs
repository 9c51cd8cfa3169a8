// Section 2, capacity: the highest rate of new TCP connections/s this machine produces on
// loopback (tcp_churn), then the same churn with sockscope attached, and whether sockscope
// reports every one of those connections (zero lost) - through `live --format jsonl` and
// through `record` + `replay --format jsonl`. Also sockscope's CPU per 10k connections/s and
// the BPF map sizes (ring buffer included) it ran with.
import { readFileSync, statSync } from 'node:fs';
import { summarizeProfile } from '../profile/summarize.mjs';
import path from 'node:path';
import { run, start, stop, treePids, cpuSeconds, threadRunSeconds, mainThreadSchedstat, bpfObjects, sleep } from '../lib/proc.mjs';
import { snapshot, delta } from '../lib/bpfstats.mjs';
import { sockscopePaths, waitForBpf, finishJsonl, replayJsonl, firstLine, lostMentions } from '../lib/sockscope.mjs';
import { summary } from '../lib/stats.mjs';

const MAX_CONNECTIONS = 2_000_000; // bound per run whatever the machine's speed
const MAP_TYPES = { 1: 'hash', 2: 'array', 5: 'percpu_hash', 6: 'percpu_array', 9: 'lru_hash', 10: 'lru_percpu_hash', 27: 'ringbuf', 21: 'sk_storage', 12: 'array_of_maps' };

async function churn(ctx, port, seconds, clients) {
  const r = await run(ctx.tools.tcp_churn, [String(port), String(seconds), String(MAX_CONNECTIONS), String(clients)], { timeoutMs: (seconds + 30) * 1000 });
  try { return JSON.parse(r.stdout.trim().split('\n').pop()); } catch { throw new Error(`tcp_churn failed: ${r.stderr.trim()}`); }
}

// Count the flows sockscope reported for the churn's port: outbound = client sockets,
// inbound = the accepted ones. Each established connection must appear at least as the
// client's outbound flow.
export function countChurnFlows(flows, port) {
  let outbound = 0, inbound = 0;
  for (const f of flows) {
    if (f.proto !== 'tcp') continue;
    if (f.rport === port && f.lport !== port) outbound++;
    else if (f.lport === port) inbound++;
  }
  return { outbound, inbound };
}

export async function runCapacity(ctx) {
  const { opts, log } = ctx;
  const seconds = opts.quick ? 2 : 5;
  let port = opts.basePort + 100;
  // 1. The machine's maximum: try a few client counts with nothing attached.
  const probes = [];
  for (const clients of opts.quick ? [1, 2] : [1, 2, 4]) {
    const r = await churn(ctx, port++, opts.quick ? 1 : 3, clients);
    probes.push(r);
    log(`capacity: ${clients} client(s): ${Math.round(r.rate)} conn/s`);
  }
  const best = probes.reduce((a, b) => (b.rate > a.rate ? b : a));
  const result = { seconds, probes, clients: best.clients, maxRate: best.rate, runs: [], maps: null, unavailable: null,
    command: `tcp_churn PORT ${seconds} ${MAX_CONNECTIONS} ${best.clients}   # bench/c/tcp_churn.c` };
  if (!ctx.sockscopeOk) { result.unavailable = ctx.sockscopeReason; return result; }

  // 2. The same churn under sockscope, interleaved with runs with nothing attached.
  const { node, nodeArgs } = sockscopePaths(ctx.repoDir);
  const reps = opts.quick ? 1 : 5;
  for (let rep = 0; rep < reps; rep++) {
    for (const mode of ['none', 'live', 'record']) {
      const p = port++;
      if (mode === 'none') {
        const r = await churn(ctx, p, seconds, best.clients);
        result.runs.push({ rep, mode, rate: r.rate, connections: r.connections });
        continue;
      }
      const file = path.join(ctx.workDir, `capacity-${rep}.ssrec`);
      const args = mode === 'live' ? [...nodeArgs, 'live', '--format', 'jsonl'] : [...nodeArgs, 'record', '-o', file];
      const child = start(node, args, { name: `sockscope ${mode}` });
      const isAlive = () => child.exitCode === null && child.signalCode === null;
      const progs = await waitForBpf(child.pid, isAlive);
      if (!progs) {
        await stop(child, 'SIGINT', 3000);
        result.runs.push({ rep, mode, failed: `sockscope ${mode} did not attach: ${firstLine(child.err)}` });
        log(`capacity: ${mode}: not available: ${firstLine(child.err)}`);
        continue;
      }
      await sleep(500);
      result.maps ??= describeMaps(bpfObjects(treePids(child.pid)).maps);
      const pids = treePids(child.pid);
      const cpu0 = cpuSeconds(pids); const sched0 = mainThreadSchedstat(child.pid); const bpf0 = await snapshot(); const t0 = Date.now();
      const r = await churn(ctx, p, seconds, best.clients);
      // Give the ring buffer consumer a moment to catch up before stopping: drops that happen
      // now are real drops, a late consumer is not.
      await sleep(1000);
      const wall = (Date.now() - t0) / 1000;
      const cpu1 = cpuSeconds(pids); const sched1 = mainThreadSchedstat(child.pid); const bpf1 = await snapshot();
      const fin = await finishJsonl(child, 60000);
      let flows = fin.flows, reason = null, info = null, fileBytes = null, events = null, lostCounter = NaN;
      if (mode === 'record') {
        try { fileBytes = statSync(file).size; } catch { /* no file */ }
        const rep2 = await replayJsonl(ctx.repoDir, file);
        flows = rep2.flows; reason = rep2.ok ? null : rep2.reason;
        const i = await run(node, [...nodeArgs, 'info', file], { timeoutMs: 60000 });
        info = i.code === 0 ? lostMentions(i.stdout) : [`info exited ${i.code}: ${firstLine(i.stderr)}`];
        ({ events, lost: lostCounter } = parseCounts(`${i.stdout}\n${fin.stderr}`));
      } else {
        // live --format jsonl prints no counters: its losses show only as missing flows.
        ({ events, lost: lostCounter } = parseCounts(fin.stderr));
      }
      if (mode === 'live' && fin.code !== 0 && fin.code !== 130) {
        reason = `live exited ${fin.code ?? fin.signal}: ${firstLine(fin.stderr)}`;
      }
      const counted = countChurnFlows(flows, p);
      const cpuSec = cpu1.total - cpu0.total;
      const run1 = {
        rep, mode, rate: r.rate, connections: r.connections, ...counted,
        // Either end missing is a connection not reported whole.
        lost: Math.max(0, r.connections - Math.min(counted.outbound, counted.inbound)),
        cpuPct: (100 * cpuSec) / wall, cpuPer10k: ((100 * cpuSec) / wall) / (r.rate / 10000),
        bpf: delta(bpf0, bpf1, progs), wall,
        // The main thread (which drains the ring): time on a CPU and time runnable but waiting for one.
        mainRanMs: (sched1.runNs - sched0.runNs) / 1e6, mainWaitedMs: (sched1.waitNs - sched0.waitNs) / 1e6,
        stderrLost: lostMentions(fin.stderr), unseen: Number(/(\d+) TCP flows closed without/.exec(fin.stderr ?? '')?.[1] ?? 0),
        opensUnseen: Number(/(\d+) TCP flows established without/.exec(fin.stderr ?? '')?.[1] ?? 0), info, fileBytes, events, lostCounter, failed: reason,
      };
      result.runs.push(run1);
      log(`capacity: ${mode}: ${r.connections} connections at ${Math.round(r.rate)}/s; sockscope reported ${counted.outbound} out / ${counted.inbound} in; cpu ${run1.cpuPct.toFixed(1)}%${reason ? `; ${reason}` : ''}`);
    }
  }
  result.steady = await steadyCpu(ctx, () => port++, best.clients);
  result.profile = await profileRecord(ctx, port++, seconds, best.clients);
  const ok = (m) => result.runs.filter((x) => x.mode === m && !x.failed);
  const base = ok('none');
  for (const m of ['live', 'record']) {
    const runs = ok(m);
    result[m] = runs.length === 0 ? null : {
      rate: summary(runs.map((x) => x.rate)),
      ratio: summary(runs.map((x) => x.rate / (base.find((b) => b.rep === x.rep)?.rate ?? NaN))),
      lost: summary(runs.map((x) => x.lost)),
      cpuPct: summary(runs.map((x) => x.cpuPct)),
      cpuPer10k: summary(runs.map((x) => x.cpuPer10k)),
      bpfNsPerRun: summary(runs.filter((x) => x.bpf.runCnt).map((x) => x.bpf.runTimeNs / x.bpf.runCnt)),
      bpfPct: summary(runs.map((x) => (100 * x.bpf.runTimeNs) / 1e9 / x.wall)),
      bytesPerConnection: summary(runs.filter((x) => x.fileBytes).map((x) => x.fileBytes / Math.max(1, x.outbound + x.inbound))),
    };
  }
  return result;
}

// CPU per connection in steady state. The runs above last a few seconds, and their first
// seconds include V8 compiling sockscope's hot code (a cost a long-running sockscope pays
// once): here a warm-up churn runs first, then a longer one is measured, per thread
// (main thread; V8's helper threads for GC and compilation), up to 1 s after it ends so
// that the ring's backlog is drained within the measurement. Four repetitions, the
// scheduler's ns run times: with two, of 10 ms ticks, one slow spell of this VM moved the
// reported median by a third (2026-11-29: 2.76 and 3.11 µs per connection for
// `live --format jsonl` in the full bench, 1.51-2.20 in six runs of bench/live-steady.mjs
// right after it).
async function steadyCpu(ctx, nextPort, clients) {
  const { node, nodeArgs } = sockscopePaths(ctx.repoDir);
  const warm = ctx.opts.quick ? 1 : 5, measured = ctx.opts.quick ? 2 : 15;
  const out = { warmSeconds: warm, seconds: measured, runs: [] };
  for (let rep = 0; rep < (ctx.opts.quick ? 1 : 4); rep++) {
    for (const mode of ['record', 'live']) {
      const args = mode === 'live' ? [...nodeArgs, 'live', '--format', 'jsonl'] : [...nodeArgs, 'record', '-o', path.join(ctx.workDir, `steady-${rep}.ssrec`)];
      const child = start(node, args, { name: `sockscope ${mode} (steady)`, stdio: ['ignore', 'ignore', 'pipe'] });
      const isAlive = () => child.exitCode === null && child.signalCode === null;
      if (!(await waitForBpf(child.pid, isAlive))) {
        await stop(child, 'SIGINT', 3000);
        out.runs.push({ rep, mode, failed: `did not attach: ${firstLine(child.err)}` });
        continue;
      }
      await churn(ctx, nextPort(), warm, clients);
      await sleep(1000);
      const t0 = threadRunSeconds(child.pid);
      const r = await churn(ctx, nextPort(), measured, clients);
      await sleep(1000);
      const t1 = threadRunSeconds(child.pid);
      await stop(child, 'SIGINT', 60000);
      const us = (sec) => (sec / r.connections) * 1e6;
      const run1 = { rep, mode, rate: r.rate, connections: r.connections, usMain: us(t1.main - t0.main), usOthers: us(t1.others - t0.others), usTotal: us(t1.total - t0.total) };
      // % of a core per 10,000 connections/s = µs per connection (10,000/s x 1 µs = 1%).
      run1.cpuPer10k = run1.usTotal;
      out.runs.push(run1);
      ctx.log(`capacity: steady ${mode}: ${r.connections} connections at ${Math.round(r.rate)}/s: ${run1.usTotal.toFixed(2)} µs per connection (main ${run1.usMain.toFixed(2)}, other threads ${run1.usOthers.toFixed(2)})`);
    }
  }
  for (const mode of ['record', 'live']) {
    const runs = out.runs.filter((x) => x.mode === mode && !x.failed);
    out[mode] = runs.length === 0 ? null : { cpuPer10k: summary(runs.map((x) => x.cpuPer10k)), usMain: summary(runs.map((x) => x.usMain)), usOthers: summary(runs.map((x) => x.usOthers)) };
  }
  return out;
}

// Where sockscope's CPU goes at this rate: the same churn under `record`, with V8's CPU
// profiler started by a preload once the BPF programs are in (see bench/profile/).
async function profileRecord(ctx, port, seconds, clients) {
  const { node, nodeArgs } = sockscopePaths(ctx.repoDir);
  const out = path.join(ctx.workDir, 'record-churn.cpuprofile');
  const preload = path.join(ctx.benchDir, 'profile', 'late-cpu-profile.cjs');
  const child = start(node, ['--require', preload, ...nodeArgs, 'record', '-o', path.join(ctx.workDir, 'profile.ssrec')],
    { name: 'sockscope record (profiled)', env: { ...process.env, SOCKSCOPE_PROFILE_OUT: out, SOCKSCOPE_PROFILE_DELAY_MS: '2500' } });
  const isAlive = () => child.exitCode === null && child.signalCode === null;
  if (!(await waitForBpf(child.pid, isAlive))) { await stop(child, 'SIGINT', 3000); return { error: `did not attach: ${firstLine(child.err)}` }; }
  await sleep(3000);
  const r = await churn(ctx, port, seconds, clients);
  await sleep(500);
  await stop(child, 'SIGINT', 30000);
  try {
    const sum = summarizeProfile(JSON.parse(readFileSync(out, 'utf8')), 15);
    ctx.log(`capacity: profiled record at ${Math.round(r.rate)} conn/s: ${sum.rows.slice(0, 3).map((x) => `${x.fn} ${x.pctOfBusy}%`).join(', ')}`);
    return { ...sum, rate: r.rate, file: out, command: `SOCKSCOPE_PROFILE_OUT=F node --require bench/profile/late-cpu-profile.cjs dist/sockscope.mjs record -o X; node bench/profile/summarize.mjs F` };
  } catch (err) {
    return { error: `no profile written: ${err.message}` };
  }
}

// Event and lost counts from `sockscope info` ("lost / evicted:   N / M") and record's
// closing line ("..., N events, M lost, ..."); NaN/null when sockscope did not say.
export function parseCounts(text) {
  const t = String(text ?? '');
  const lost = Number(/lost \/ evicted:\s+(\d+)/.exec(t)?.[1] ?? /(\d+) lost/.exec(t)?.[1] ?? NaN);
  const events = Number(/(\d+) events/.exec(t)?.[1]) || null;
  return { lost, events };
}

function describeMaps(maps) {
  return [...maps.values()].map((m) => ({ ...m, type: MAP_TYPES[m.type] ?? `type ${m.type}` }))
    .sort((a, b) => b.memlock - a.memlock);
}
