#!/usr/bin/env node
// JsonlFlows' per-line call (run.mjs's ADD=1) of two checkouts in one process, their passes
// alternated: each checkout's copy run in turn (run.mjs) moved by up to 2x between runs of
// the same code on this VM, which two builds of one process share alike. Flows in the
// order live writes them (by end time). Prints the median ns per line of each and the
// median of the per-round ratio NEW/OLD (OLD against itself: 0.99-1.01 in 3 runs, 2026-11-28).
// CPU-timed: run it under `flock /tmp/bench.lock`.
//   node bench/jsonl-lines/ab.mjs OLD NEW [RECORDING]
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { importSources } from '../../scripts/import-sources.mjs';
import { NODE_FLAGS } from '../../scripts/node-flags.mjs';

// Measured with the V8 flags sockscope runs with, as run.mjs does.
if (!NODE_FLAGS.every((f) => process.execArgv.includes(f))) {
  const r = spawnSync(process.execPath, [...NODE_FLAGS, ...process.execArgv, import.meta.filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const root = path.resolve(import.meta.dirname, '../..');
const [oldDir, newDir, recording = path.join(root, 'recordings/churn.ssrec')] = process.argv.slice(2);
if (!oldDir || !newDir) throw new Error('usage: ab.mjs OLD NEW [RECORDING]');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-jsonl-ab-'));
const LINES = 5000;
const ROUNDS = 60;

/** A checkout's JsonlFlows holding the recording's flows, and a pass writing `n` lines. */
async function setup(dir, i) {
  const m = await importSources(path.resolve(dir), `
export { JsonlFlows } from './src/commands/jsonl-flows';
export { LineWriter } from './src/commands/line-writer';
export { openRecording } from './src/record/reader';
export * as reducer from './src/core/reducer';
`, path.join(tmp, `checkout-${i}.mjs`));
  const src = await m.openRecording(recording);
  const out = new m.JsonlFlows(src.header.bootTimeMs);
  // No lines while the recording is folded: its flows stay in the state.
  out.out = { reserve: () => null, addMerged() {}, flush: () => Promise.resolve(), current: null };
  for await (const batch of src.batches()) await out.apply(batch);
  await src.close();
  const store = out.state.flows.store;
  // A checkout without heldSlots keeps every flow in state.flows.
  const slots = m.reducer.heldSlots ? [...m.reducer.heldSlots(out.state)] : [...out.state.flows.slots.values()];
  slots.sort((x, y) => (store.transientView(x).endTs ?? Infinity) - (store.transientView(y).endTs ?? Infinity));
  // A stream that takes every chunk at once (as /dev/null does).
  out.out = new m.LineWriter({ write: () => true, writableLength: 0 });
  const add = out.add.bind(out);
  return { flows: slots.length, pass: (n) => { for (let k = 0; k < n; k++) add(store.transientView(slots[k % slots.length])); } };
}

const builds = [await setup(oldDir, 0), await setup(newDir, 1)];
for (let r = 0; r < 100; r++) for (const b of builds) b.pass(LINES); // optimized by now
const ns = [[], []];
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < 2; k++) {
    const j = (r + k) % 2; // who goes first alternates
    const t0 = process.hrtime.bigint();
    builds[j].pass(LINES);
    ns[j].push(Number(process.hrtime.bigint() - t0) / LINES);
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const ratios = ns[1].map((x, r) => x / ns[0][r]);
console.log(JSON.stringify({
  flows: builds.map((b) => b.flows), nsPerLine: ns.map((a) => +median(a).toFixed(1)), ratio: +median(ratios).toFixed(3),
  ratioRange: [+Math.min(...ratios).toFixed(3), +Math.max(...ratios).toFixed(3)], newLowerIn: ratios.filter((x) => x < 1).length, rounds: ROUNDS,
}));
