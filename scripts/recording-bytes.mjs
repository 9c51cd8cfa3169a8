#!/usr/bin/env node
// Where a recording's bytes go: fixed parts (preamble, header, structures, end frames),
// frame headers, and per event type the bytes the file would lose without that type
// (the file rewritten as scripts/record-fixture.mjs writes the committed recordings: flow
// events as kernel-records runs, the writer's compact mode, one structures table; with
// every event of the type left out: what the type costs after compression, in context).
// `plain` is the size the same events take as `sockscope record` would write them.
//
//   node scripts/recording-bytes.mjs FILE.ssrec [...]
//
// Prints one JSON object per file on stdout.
import { importSources } from './import-sources.mjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'sockscope-bytes-'));
const bundle = join(tmp, 'lib.mjs');
const m = await importSources(root, `
export { openRecording } from './src/record/reader';
export { writeBatchesAt1Hz, writeCompact } from './src/record/write-offline';
export { runsFromEvents } from './src/record/runs-from-events';
export { FlowIntervalCounter } from './src/record/flow-intervals';
export { storedFrames } from './test/replay/stored-frames';
`, bundle);
const KINDS = { 1: 'header', 2: 'events', 3: 'end', 4: 'structures' };

async function readBatches(file) {
  const src = await m.openRecording(file);
  const batches = [];
  for await (const b of src.batches()) batches.push(b);
  await src.close();
  return { src, batches };
}

/** The size of the file rewritten with only the events `keep` accepts: compact, or plain. */
function rewrite(src, batches, keep = () => true, compact = true) {
  const stored = batches.map((b) => m.runsFromEvents(b.filter(keep)));
  return (compact ? m.writeCompact : m.writeBatchesAt1Hz)(join(tmp, 'rewrite.ssrec'), src.info, stored, { capture: src.header.capture }).bytesWritten;
}

for (const file of process.argv.slice(2)) {
  const { src, batches } = await readBatches(file);
  const fi = new m.FlowIntervalCounter();
  for (const b of batches) fi.add(b);
  const frames = m.storedFrames(file);
  const byKind = {};
  for (const f of frames) {
    const k = `${KINDS[f.kind]}${f.kind === 2 ? (f.codec === 0 ? ' stored' : ' compressed') : ''}`;
    const s = (byKind[k] ??= { frames: 0, fileBytes: 0, rawBytes: 0 });
    s.frames++;
    s.fileBytes += f.fileBytes;
    s.rawBytes += f.rawBytes;
  }
  const stored = frames.filter((f) => f.kind === 2).flatMap((f) => f.value);
  const storedCount = {};
  for (const e of stored) storedCount[e.type] = (storedCount[e.type] ?? 0) + 1;
  const types = [...new Set(batches.flat().map((e) => e.type))];
  const rewritten = rewrite(src, batches);
  const plain = rewrite(src, batches, undefined, false);
  const withoutType = {};
  for (const t of types) withoutType[t] = rewritten - rewrite(src, batches, (e) => e.type !== t);
  console.log(JSON.stringify({
    file, size: src.size, rewritten, plain, flowIntervals: fi.total, bytesPerFlowInterval: +(src.size / fi.total).toFixed(1),
    preamble: 12, frames: byKind, storedEvents: storedCount, bytesOfEachType: withoutType,
  }, null, 1));
}
rmSync(tmp, { recursive: true, force: true });
