#!/usr/bin/env node
// Whether `live --format jsonl` (and `record`, with --record, attached to the same churn)
// reports every connection of a tcp_churn at the machine's maximum rate, run after run:
// the capacity section's check repeated, to catch losses too rare for its 5 runs. Prints
// one JSON line per run: connections made, outbound/inbound flows each reported, and
// live's stderr when it names lost events. As root; loopback only; our own processes.
//   node bench/churn-loss.mjs [--reps 20] [--clients 4] [--seconds 5] [--record] [--port 18950]
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
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
  },
});
const benchDir = path.dirname(new URL(import.meta.url).pathname);
const repoDir = path.dirname(benchDir);
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
  const r = await run(tools.tcp_churn, [String(port), values.seconds, '2000000', values.clients], { timeoutMs: (Number(values.seconds) + 30) * 1000 });
  const made = JSON.parse(r.stdout.trim().split('\n').pop());
  // As the capacity section: a moment for the consumer to catch up, then stop.
  await sleep(1000);
  const fin = await finishJsonl(live, 60000);
  const line = { rep, connections: made.connections, live: countChurnFlows(fin.flows, port), liveLost: fin.stderr.split('\n').filter((l) => /lost/.test(l)).join(' ') };
  if (rec) {
    await stop(rec, 'SIGINT', 60000);
    const replayed = await replayJsonl(repoDir, file);
    line.record = replayed.ok ? countChurnFlows(replayed.flows, port) : replayed.reason;
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
