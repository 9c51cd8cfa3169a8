#!/usr/bin/env node
// Replay A/B in one process: the reader + reducer of two source trees (OLD, usually a
// worktree of main, and this one) bundled side by side and run in alternation over the
// same files, so that both see the same machine load, JIT state of the process and GC
// settings. On a shared, noisy VM separate runs of bench-replay.mjs differ by more than
// most changes do.
//
//   node scripts/bench-replay-ab.mjs --old DIR [--rounds N] [--passes N] [--warmup-ms MS] [FILE.ssrec ...]
//
// Without FILE: the committed recordings and bench-replay.mjs's synthetic file. Each
// round times --passes passes of OLD then NEW (the order flips every round) over each file,
// after --warmup-ms of warming each variant on it; a round's figure is the median pass.
// Prints per file the medians of events/s (wall and CPU time), the per-round NEW/OLD
// ratios (median, min, max), and each variant's fastest pass. Run timed comparisons under `flock /tmp/bench.lock`.
import { importSources } from './import-sources.mjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from '../bench/lib/args.mjs';

import { NODE_FLAGS } from './node-flags.mjs';

if (!NODE_FLAGS.every((f) => process.execArgv.includes(f))) {
  const r = spawnSync(process.execPath, [...NODE_FLAGS, ...process.execArgv, import.meta.filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const root = resolve(import.meta.dirname, '..');
const { values, positionals } = parseArgs({
  options: {
    old: { type: 'string' },
    rounds: { type: 'string', default: '7' },
    passes: { type: 'string', default: '5' },
    'warmup-ms': { type: 'string', default: '1500' },
  },
  allowPositionals: true,
});
if (!values.old) {
  process.stderr.write('usage: bench-replay-ab.mjs --old DIR [--rounds N] [--passes N] [--warmup-ms MS] [FILE ...]\n');
  process.exit(2);
}
const ROUNDS = Math.max(1, Number(values.rounds) || 7);
const PASSES = Math.max(1, Number(values.passes) || 5);
const WARMUP_MS = Math.max(0, Number(values['warmup-ms']) || 0);

const tmp = mkdtempSync(join(tmpdir(), 'sockscope-ab-'));

/** The tree's reader and reducer (and, from this tree, the synthetic file's makers) as one module. */
async function load(dir, name, extra) {
  const outfile = join(tmp, `${name}.mjs`);
  return importSources(dir, `
export { openRecording } from './src/record/reader';
export { createCoreState, applyBatch } from './src/core/reducer';
${extra}`, outfile);
}

const oldM = await load(resolve(values.old), 'old', '');
const newM = await load(root, 'new', `
export { RecordingWriter } from './src/record/writer';
export { syntheticBatches } from './test/replay/synthetic';
export { withRuns } from './test/replay/kernel-record-encoder';
export { TEST_INFO } from './test/replay/recording-helpers';
`);

let files = positionals.map((p) => resolve(p));
if (files.length === 0) {
  files = readdirSync(join(root, 'recordings')).filter((f) => f.endsWith('.ssrec')).sort().map((f) => join(root, 'recordings', f));
  // The synthetic file of bench-replay.mjs, written the same way.
  const p = join(tmp, 'synthetic.ssrec');
  let t = 0;
  const w = newM.RecordingWriter.create(p, newM.TEST_INFO, { clock: () => t });
  for (const b of newM.syntheticBatches({ seconds: 60, steadyFlows: 2000, churnPerSec: 300, seed: 3 }).map(newM.withRuns)) {
    w.write(b);
    t += 1000;
    w.flush();
  }
  w.close();
  files.push(p);
}

/** One replay pass as bench-replay.mjs times it: open, decode + reduce, close. */
async function pass(m, path) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const src = await m.openRecording(path);
  const state = m.createCoreState();
  let events = 0;
  for await (const batch of src.batches()) {
    events += batch.length;
    m.applyBatch(state, batch);
  }
  await src.close();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { events, wall, cpu: (c.user + c.system) / 1e6 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function block(m, path) {
  const walls = [];
  const cpus = [];
  let best = Infinity;
  let events = 0;
  for (let i = 0; i < PASSES; i++) {
    const r = await pass(m, path);
    events = r.events;
    walls.push(r.wall);
    cpus.push(r.cpu);
    best = Math.min(best, r.wall);
  }
  return { events, wall: median(walls), cpu: median(cpus), best };
}

const result = { old: resolve(values.old), new: root, rounds: ROUNDS, passes: PASSES, warmupMs: WARMUP_MS, files: [] };
for (const path of files) {
  for (const m of [oldM, newM]) {
    const start = performance.now();
    do await pass(m, path);
    while (performance.now() - start < WARMUP_MS);
  }
  const rows = { old: [], new: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
    for (const k of order) rows[k].push(await block(k === 'old' ? oldM : newM, path));
  }
  const events = rows.new[0].events;
  if (rows.old[0].events !== events) throw new Error(`${path}: old replays ${rows.old[0].events} events, new ${events}`);
  const rate = (xs, k) => Math.round(events / median(xs.map((x) => x[k])));
  const ratios = (k) => rows.new.map((n, i) => rows.old[i][k] / n[k]);
  const summary = (xs) => ({ median: +median(xs).toFixed(3), min: +Math.min(...xs).toFixed(3), max: +Math.max(...xs).toFixed(3) });
  result.files.push({
    file: basename(path),
    events,
    oldEventsPerSec: rate(rows.old, 'wall'),
    newEventsPerSec: rate(rows.new, 'wall'),
    oldCpuEventsPerSec: rate(rows.old, 'cpu'),
    newCpuEventsPerSec: rate(rows.new, 'cpu'),
    // The fastest pass of all: other load only slows a pass, so the best ones are the
    // least disturbed (the most stable figure on a shared machine).
    oldBestEventsPerSec: Math.round(events / Math.min(...rows.old.map((x) => x.best))),
    newBestEventsPerSec: Math.round(events / Math.min(...rows.new.map((x) => x.best))),
    speedupBest: +(Math.min(...rows.old.map((x) => x.best)) / Math.min(...rows.new.map((x) => x.best))).toFixed(3),
    speedupWall: summary(ratios('wall')),
    speedupCpu: summary(ratios('cpu')),
  });
}
rmSync(tmp, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
