#!/usr/bin/env node
// Lost events at the machine's maximum connection rate, and why: `sockscope record` under
// tcp_churn (4 clients, as bench/sections/capacity.mjs runs it), with the kernel's lost
// counter, and the scheduler's view of sockscope's draining main thread sampled every 100 ms
// (time runnable but waiting for a CPU, longest wait within one sample), plus the autogroup
// (kernel.sched_autogroup_enabled) each process ran in. Each --tree holds dist/sockscope.mjs
// and bpf/dist/sockscope.bpf.o; runs alternate between trees.
//
//   node bench/loss-at-max-rate.mjs --tree /tmp/old --tree . --runs 3 [--ring-mib 32]
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { run, start, stop, sleep, killOwnedSync, mainThreadSchedstat, rssKiB } from './lib/proc.mjs';
import { compileTools } from './lib/compile.mjs';
import { waitForBpf } from './lib/sockscope.mjs';
import { NODE_FLAGS } from '../scripts/node-flags.mjs';

const { values: opts } = parseArgs({
  options: {
    tree: { type: 'string', multiple: true, default: ['.'] },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    clients: { type: 'string', default: '4' },
    port: { type: 'string', default: '18400' },
    // 'separate' (default, as the bench and a user start them: each command its own session,
    // so its own autogroup) or 'same' (sockscope and the churn in this script's session).
    group: { type: 'string', default: 'separate' },
    // Nice value written to sockscope's autogroup (/proc/PID/autogroup), when given.
    'autogroup-nice': { type: 'string' },
  },
});
const work = mkdtempSync(path.join(tmpdir(), 'sockscope-loss-'));
const tools = await compileTools(new URL('./c', import.meta.url).pathname, work);
let port = Number(opts.port);
process.on('exit', () => killOwnedSync());
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

const autogroup = (pid) => { try { return readFileSync(`/proc/${pid}/autogroup`, 'utf8').trim().split(' ')[0]; } catch { return '?'; } };

// A child in this script's session (and autogroup), stopped like start()'s children.
function startHere(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.out = ''; child.err = '';
  child.stdout.on('data', (d) => { child.out += d; });
  child.stderr.on('data', (d) => { child.err += d; });
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return child;
}

function startChurn(args) {
  return opts.group === 'same' ? startHere(tools.tcp_churn, args) : start(tools.tcp_churn, args, { name: 'tcp_churn' });
}

async function once(tree) {
  const file = path.join(work, `loss-${port}.ssrec`);
  const child = (opts.group === 'same' ? startHere : start)(process.execPath, [...NODE_FLAGS, path.resolve(tree, 'dist', 'sockscope.mjs'), 'record', '-o', file], { name: 'sockscope record' });
  if (!(await waitForBpf(child.pid, () => child.exitCode === null && child.signalCode === null))) throw new Error(`no attach: ${child.err}`);
  await sleep(500);
  const p = port++;
  if (opts['autogroup-nice'] !== undefined) writeFileSync(`/proc/${child.pid}/autogroup`, opts['autogroup-nice']);
  const churn = startChurn([String(p), opts.seconds, '2000000', opts.clients]);
  let last = mainThreadSchedstat(child.pid), maxWaitMs = 0, groups = null, rssMax = 0;
  const s0 = last;
  while (churn.exitCode === null && churn.signalCode === null) {
    await sleep(100);
    const s = mainThreadSchedstat(child.pid);
    maxWaitMs = Math.max(maxWaitMs, (s.waitNs - last.waitNs) / 1e6);
    last = s;
    rssMax = Math.max(rssMax, rssKiB([child.pid]).rss);
    groups ??= { sockscope: autogroup(child.pid), churn: autogroup(churn.pid), bench: autogroup(process.pid) };
  }
  await sleep(1000);
  const s1 = mainThreadSchedstat(child.pid);
  const r = JSON.parse(churn.out.trim().split('\n').pop());
  if (opts.group === 'same') { child.kill('SIGINT'); await child.exited; } else await stop(child, 'SIGINT', 20000);
  const lost = Number(/(\d+) lost/.exec(child.err)?.[1] ?? NaN);
  const out = { tree, connections: r.connections, rate: Math.round(r.rate), lost, ranMs: Math.round((s1.runNs - s0.runNs) / 1e6),
    waitedMs: Math.round((s1.waitNs - s0.waitNs) / 1e6), maxWaitPer100ms: Math.round(maxWaitMs), rssMaxMiB: +(rssMax / 1024).toFixed(1), groups };
  console.log(JSON.stringify(out));
  return out;
}

for (let i = 0; i < Number(opts.runs); i++) for (const tree of opts.tree) await once(tree);
await run('rm', ['-rf', work]);
