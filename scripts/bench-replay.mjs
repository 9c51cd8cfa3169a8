#!/usr/bin/env node
// Replay benchmark: events/s through decode + reducer, and bytes per flow-interval.
//
//   node scripts/bench-replay.mjs [FILE.ssrec] [--runs N] [--codecs]
//
// Without FILE it benchmarks a synthetic busy recording (test/replay/synthetic.ts) and
// says so in the output. --codecs also writes the same events with every codec and
// reports size and speed (the numbers behind the codec choice in
// docs/recording-format.md). Prints one JSON object. The sources are TypeScript: they
// are bundled with esbuild into a temporary module first.
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { values, positionals } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, codecs: { type: 'boolean', default: false } },
  allowPositionals: true,
});

const tmp = mkdtempSync(join(tmpdir(), 'sockscope-bench-'));
const entry = `
export { openRecording } from './src/record/reader';
export { RecordingWriter } from './src/record/writer';
export { Codec, CODEC_NAMES } from './src/record/format';
export { createCoreState, applyBatch } from './src/core/reducer';
export { syntheticBatches } from './test/replay/synthetic';
export { TEST_INFO } from './test/replay/recording-helpers';
`;
const bundle = join(tmp, 'bench.mjs');
await build({
  stdin: { contents: entry, resolveDir: root, loader: 'ts' },
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  external: ['vitest', 'fast-check'],
  // msgpackr is bundled, as in dist/sockscope.mjs, so the numbers are those of the shipped build.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
const m = await import(bundle);

function writeBatches(path, batches, codec) {
  let t = 0;
  const w = m.RecordingWriter.create(path, m.TEST_INFO, { codec, clock: () => t });
  for (const b of batches) {
    w.write(b);
    t += 1000;
    w.flush();
  }
  w.close();
  return w.bytesWritten;
}

/** One pass over the file: decode + reducer (TUI-like options: linger and history on). */
async function replayOnce(path) {
  const src = await m.openRecording(path);
  const state = m.createCoreState();
  let events = 0;
  let flowIntervals = 0;
  let chunks = 0;
  const t0 = performance.now();
  for await (const batch of src.batches()) {
    chunks++;
    events += batch.length;
    for (const e of batch) if (e.type === 'counters') flowIntervals += e.flows.length;
    m.applyBatch(state, batch);
  }
  const seconds = (performance.now() - t0) / 1000;
  await src.close();
  const damage = src.damage();
  return { seconds, events, flowIntervals, chunks, size: src.size, damage: damage ? damage.message : null };
}

async function decodeOnly(path) {
  const src = await m.openRecording(path);
  const t0 = performance.now();
  for await (const _ of src.batches());
  const s = (performance.now() - t0) / 1000;
  await src.close();
  return s;
}

let file = positionals[0];
let synthetic = false;
let batches = null;
if (!file) {
  synthetic = true;
  batches = m.syntheticBatches({ seconds: 60, steadyFlows: 2000, churnPerSec: 300, seed: 3 });
  file = join(tmp, 'synthetic.ssrec');
  writeBatches(file, batches, undefined);
}

const runs = [];
for (let i = 0; i < Number(values.runs); i++) runs.push(await replayOnce(file));
runs.sort((a, b) => a.seconds - b.seconds);
const best = runs[0];
const median = runs[Math.floor(runs.length / 2)];
const decodeSeconds = await decodeOnly(file);
// Counter entries are the bulk of the work: a counters event carries one per moving flow.
const units = best.events - 0 + best.flowIntervals;
const result = {
  file: synthetic ? '(synthetic: 60 s, 2000 steady flows, 300 new flows/s)' : file,
  synthetic,
  size: best.size,
  chunks: best.chunks,
  events: best.events,
  flowIntervals: best.flowIntervals,
  runs: runs.length,
  medianSeconds: +median.seconds.toFixed(4),
  eventsPerSec: Math.round(best.events / median.seconds),
  eventsAndFlowUpdatesPerSec: Math.round(units / median.seconds),
  decodeOnlyEventsAndFlowUpdatesPerSec: Math.round(units / decodeSeconds),
  bytesPerFlowInterval: best.flowIntervals > 0 ? +(best.size / best.flowIntervals).toFixed(2) : null,
  damage: best.damage,
};

if (values.codecs) {
  if (!batches) {
    batches = [];
    const src = await m.openRecording(file);
    for await (const b of src.batches()) batches.push(b);
    await src.close();
  }
  result.codecs = {};
  for (const [id, name] of Object.entries(m.CODEC_NAMES)) {
    const p = join(tmp, `codec-${name}.ssrec`);
    const t0 = performance.now();
    const size = writeBatches(p, batches, Number(id));
    const writeS = (performance.now() - t0) / 1000;
    const readS = await decodeOnly(p);
    result.codecs[name] = { size, bytesPerFlowInterval: +(size / best.flowIntervals).toFixed(2), writeSeconds: +writeS.toFixed(3), readSeconds: +readS.toFixed(3) };
  }
}

rmSync(tmp, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
