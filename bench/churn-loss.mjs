#!/usr/bin/env node
// Whether `live --format jsonl` (and `record`, with --record, attached to the same churn)
// reports every connection of a tcp_churn at the machine's maximum rate, run after run:
// the capacity section's check repeated, to catch losses too rare for its 5 runs. Prints
// one JSON line per run: connections made, outbound/inbound flows each reported, and
// live's stderr when it names lost events. As root; loopback only; our own processes.
// --stall-ms N stops the sockscope processes (SIGSTOP, by pid) for N ms, 1 s into the
// churn: the drain held up as the scheduler held it in the runs that lost records, on
// demand. --repo DIR: the build in DIR (default this tree), for an old/new comparison.
//   node bench/churn-loss.mjs [--reps 20] [--clients 4] [--seconds 5] [--record] [--port 18950] [--stall-ms 2500] [--repo DIR]
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { compileTools } from './lib/compile.mjs';
import { killOwnedSync, run, sleep, start, stop } from './lib/proc.mjs';
import { finishJsonl, replayJsonl, sockscopePaths, waitForBpf } from './lib/sockscope.mjs';
import { countChurnFlows } from './sections/capacity.mjs';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '20' },
    clients: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '5' },
    record: { type: 'boolean', default: false },
    port: { type: 'string', default: '18950' },
    'stall-ms': { type: 'string', default: '0' },
    repo: { type: 'string' },
  },
});
const benchDir = path.dirname(new URL(import.meta.url).pathname);
const repoDir = values.repo ? path.resolve(values.repo) : path.dirname(benchDir);
const stallMs = Number(values['stall-ms']);
const workDir = mkdtempSync(path.join(os.tmpdir(), 'sockscope-churn-loss-'));
const tools = await compileTools(path.join(benchDir, 'c'), workDir);
process.on('exit', killOwnedSync);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
const { node, nodeArgs } = sockscopePaths(repoDir);

let port = Number(values.port);
for (let rep = 0; rep < Number(values.reps); rep++, port++) {
  const live = start(node, [...nodeArgs, 'live', '--format', 'jsonl'], { name: 'sockscope live' });
  const file = path.join(workDir, `churn-loss-${rep}.ssrec`);
  const rec = values.record ? start(node, [...nodeArgs, 'record', '-o', file], { name: 'sockscope record' }) : null;
  for (const child of [live, rec]) {
    if (child && !(await waitForBpf(child.pid, () => child.exitCode === null))) throw new Error(`sockscope did not attach: ${child.err.trim()}`);
  }
  await sleep(500);
  const churn = run(tools.tcp_churn, [String(port), values.seconds, '2000000', values.clients], { timeoutMs: (Number(values.seconds) + 30) * 1000 });
  if (stallMs > 0) {
    await sleep(1000);
    const pids = [live, rec].filter(Boolean).map((c) => c.pid);
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    await sleep(stallMs);
    for (const pid of pids) process.kill(pid, 'SIGCONT');
  }
  const r = await churn;
  const made = JSON.parse(r.stdout.trim().split('\n').pop());
  // As the capacity section: a moment for the consumer to catch up, then stop.
  await sleep(1000);
  const fin = await finishJsonl(live, 60000);
  const line = { rep, connections: made.connections, live: countChurnFlows(fin.flows, port), liveLost: fin.stderr.split('\n').filter((l) => /lost/.test(l)).join(' '), liveUnseen: Number(/(\d+) TCP flows closed without/.exec(fin.stderr)?.[1] ?? 0),
    liveOpensUnseen: Number(/(\d+) TCP flows established without/.exec(fin.stderr)?.[1] ?? 0) };
  if (rec) {
    await stop(rec, 'SIGINT', 60000);
    line.recordLost = Number(/(\d+) lost/.exec(rec.err)?.[1] ?? NaN);
    const replayed = await replayJsonl(repoDir, file);
    line.record = replayed.ok ? countChurnFlows(replayed.flows, port) : replayed.reason;
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
