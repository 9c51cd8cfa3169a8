#!/usr/bin/env node
// What `sockscope live` spends per new connection in steady state, for the TUI (in tmux, as
// the bench runs it), for --format jsonl and for `record` (--mode record), measured the way bench/sections/capacity.mjs
// measures it (warm-up churn, then a measured churn, thread CPU from /proc up to 1 s after
// it), for one or more builds in turn: comparing two builds interleaved is one call with
// `--repo OLD --repo NEW` per pair. As root; loopback only.
//   node bench/live-steady.mjs --mode tui --repo /tmp/main-ref --repo . [--clients 2]
//     [--warm 5] [--seconds 10] [--profile OUT_PREFIX] [--load churn|keepalive|idle]
// Prints one JSON line per run: {repo, mode, connections, rate, usMain, usOthers, usTotal}.
// `--together` (churn only; tui, jsonl or record): every --repo attached at once to the same churn,
// each one's CPU from its own /proc/PID/task/*/schedstat (ns, not 10 ms ticks), --reps times with the start order
// rotating; the VM's drift then moves all builds alike, so the ratio of each build to the
// first one is read per rep (printed last, with median and range). Both builds' BPF programs
// run on every connection, so the rate is lower than with one attached.
// `--load keepalive` (nginx + wrk -c32, as the overhead section's keep-alive row) and `--load idle`
// (nothing) print instead {repo, mode, load, rps, pctMain, pctOthers, pctTotal, others}:
// sockscope's CPU as % of one core over the measured seconds (the scheduler's ns run times;
// `others` per thread name). The TUI needs about a minute to settle (V8 compiles its code
// meanwhile: idle, 3.4% of a core 5-15 s after start, 1.2% after 60 s): --warm 40.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { compileTools } from './lib/compile.mjs';
import { alive, killOwnedSync, onExitSync, run, sleep, start, stop, threadCpuSeconds, threadRunSeconds, waitFor } from './lib/proc.mjs';
import { sockscopePaths, waitForBpf } from './lib/sockscope.mjs';
import { runWrk, startNginx, stopNginx } from './lib/workloads.mjs';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'jsonl' },
    repo: { type: 'string', multiple: true, default: ['.'] },
    clients: { type: 'string', default: '2' },
    warm: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '10' },
    port: { type: 'string', default: '18300' },
    profile: { type: 'string' },
    load: { type: 'string', default: 'churn' },
    together: { type: 'boolean', default: false },
    reps: { type: 'string', default: '1' },
  },
});
const benchDir = path.dirname(new URL(import.meta.url).pathname);
const workDir = mkdtempSync(path.join(os.tmpdir(), 'sockscope-live-steady-'));
const tools = await compileTools(path.join(benchDir, 'c'), workDir);
process.on('exit', killOwnedSync);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
let port = Number(values.port);
let started = 0;

async function churn(seconds) {
  const r = await run(tools.tcp_churn, [String(port++), String(seconds), '2000000', values.clients], { timeoutMs: (seconds + 30) * 1000 });
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/** Starts sockscope live (jsonl to /dev/null, or the TUI in a detached tmux session);
 * returns its pid and how to stop it. */
async function startLive(repo, profileOut) {
  const { node, nodeArgs } = sockscopePaths(path.resolve(repo));
  const preload = profileOut ? ['--require', path.join(benchDir, 'profile', 'late-cpu-profile.cjs')] : [];
  // Under keep-alive or idle the profile covers the measured seconds only, not the warm-up.
  const delayMs = values.load === 'churn' ? 2500 : 1000 * Number(values.warm) + 2000;
  const env = profileOut ? { ...process.env, SOCKSCOPE_PROFILE_OUT: profileOut, SOCKSCOPE_PROFILE_DELAY_MS: String(delayMs) } : process.env;
  if (values.mode === 'jsonl' || values.mode === 'record') {
    const cmd = values.mode === 'record' ? ['record', '-o', path.join(workDir, `steady-${started++}.ssrec`)] : ['live', '--format', 'jsonl'];
    const child = start(node, [...preload, ...nodeArgs, ...cmd], { stdio: ['ignore', 'ignore', 'pipe'], env });
    return { pid: child.pid, isAlive: () => child.exitCode === null && child.signalCode === null, stop: () => stop(child, 'SIGINT', 60000) };
  }
  // A tmux server per TUI: with --together several run at once.
  const socket = `sockscope-live-steady-${process.pid}-${started++}`;
  const tmux = (...args) => run('tmux', ['-L', socket, '-f', '/dev/null', ...args], { timeoutMs: 10000, env });
  const envPrefix = profileOut ? `SOCKSCOPE_PROFILE_OUT=${profileOut} SOCKSCOPE_PROFILE_DELAY_MS=${delayMs} ` : '';
  await tmux('new-session', '-d', '-s', 'live', '-x', '120', '-y', '40', `${envPrefix}exec ${node} ${[...preload, ...nodeArgs].join(' ')} live`);
  const [serverPid, pid] = (await tmux('display-message', '-p', '-t', 'live', '#{pid} #{pane_pid}')).stdout.trim().split(' ').map(Number);
  const unhook = onExitSync(() => { for (const p of [pid, serverPid]) if (alive(p)) process.kill(p, 'SIGKILL'); });
  return {
    pid,
    isAlive: () => alive(pid),
    stop: async () => {
      await tmux('send-keys', '-t', 'live', 'q');
      await waitFor(() => !alive(pid), 20000);
      await tmux('kill-server');
      await waitFor(() => !alive(serverPid), 3000);
      unhook();
    },
  };
}

if (!['churn', 'keepalive', 'idle'].includes(values.load)) throw new Error(`--load takes churn, keepalive or idle, not '${values.load}'`);
const nginx = values.load === 'keepalive' ? await startNginx({ benchDir, workDir, port: port++ }) : null;
onExitSync(() => { if (nginx && alive(nginx.child.pid)) process.kill(nginx.child.pid, 'SIGKILL'); });

/** Keep-alive or idle: sockscope's CPU over `seconds` of wrk (or of nothing), % of a core. */
async function steadyLoad(live, repo) {
  const seconds = Number(values.seconds);
  if (nginx) await runWrk(nginx.url, Number(values.warm), false);
  await sleep(1000);
  const t0 = threadRunSeconds(live.pid);
  const w0 = performance.now();
  const r = nginx ? await runWrk(nginx.url, seconds, false) : (await sleep(seconds * 1000), { rps: null });
  const t1 = threadRunSeconds(live.pid);
  const wall = (performance.now() - w0) / 1000;
  await live.stop();
  const pct = (sec) => Number(((100 * sec) / wall).toFixed(2));
  const others = Object.fromEntries(Object.entries(t1.byName).map(([name, sec]) => [name, pct(sec - (t0.byName[name] ?? 0))]));
  console.log(JSON.stringify({ repo, mode: values.mode, load: values.load, rps: r.rps && Math.round(r.rps),
    pctMain: pct(t1.main - t0.main), pctOthers: pct(t1.others - t0.others), pctTotal: pct(t1.total - t0.total), others }));
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

/** --together: all builds on one churn load per rep; returns after printing the ratios. */
async function together() {
  if (values.load !== 'churn') throw new Error('--together measures churn');
  const repos = values.repo;
  const ratios = repos.map(() => []);
  for (let rep = 0; rep < Number(values.reps); rep++) {
    const order = repos.map((_, i) => (i + rep) % repos.length);
    const lives = [];
    for (const i of order) {
      const live = await startLive(repos[i], null);
      if (!(await waitForBpf(live.pid, live.isAlive))) throw new Error(`sockscope from ${repos[i]} did not attach`);
      lives[i] = live;
    }
    await churn(Number(values.warm));
    await sleep(1000);
    const t0 = lives.map((l) => threadRunSeconds(l.pid));
    const r = await churn(Number(values.seconds));
    await sleep(1000);
    const t1 = lives.map((l) => threadRunSeconds(l.pid));
    for (const l of lives) await l.stop();
    const us = (sec) => Number(((sec / r.connections) * 1e6).toFixed(3));
    for (const [i, repo] of repos.entries()) {
      const total = t1[i].total - t0[i].total;
      ratios[i].push(total / (t1[0].total - t0[0].total));
      console.log(JSON.stringify({ rep, repo, mode: values.mode, together: true, startedAs: order.indexOf(i), connections: r.connections, rate: Math.round(r.rate),
        usMain: us(t1[i].main - t0[i].main), usOthers: us(t1[i].others - t0[i].others), usTotal: us(total) }));
    }
  }
  for (const [i, repo] of repos.entries()) {
    if (i === 0) continue;
    const xs = ratios[i];
    console.log(`${repo} / ${repos[0]} CPU per connection: median ${median(xs).toFixed(3)} (${Math.min(...xs).toFixed(3)}-${Math.max(...xs).toFixed(3)}, n=${xs.length})`);
  }
}

if (values.together) {
  await together();
  process.exit(0);
}

for (const [i, repo] of values.repo.entries()) {
  const profileOut = values.profile ? `${values.profile}-${i}.cpuprofile` : null;
  const live = await startLive(repo, profileOut);
  if (!(await waitForBpf(live.pid, live.isAlive))) throw new Error(`sockscope from ${repo} did not attach`);
  if (values.load !== 'churn') {
    await steadyLoad(live, repo);
    continue;
  }
  await churn(Number(values.warm));
  await sleep(1000);
  const t0 = threadCpuSeconds(live.pid);
  const r = await churn(Number(values.seconds));
  await sleep(1000);
  const t1 = threadCpuSeconds(live.pid);
  await live.stop();
  const us = (sec) => Number(((sec / r.connections) * 1e6).toFixed(2));
  console.log(JSON.stringify({ repo, mode: values.mode, connections: r.connections, rate: Math.round(r.rate),
    usMain: us(t1.main - t0.main), usOthers: us(t1.others - t0.others), usTotal: us(t1.total - t0.total), profile: profileOut }));
}
await stopNginx(nginx);
