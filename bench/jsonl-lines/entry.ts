// What writing one JSON line costs (ns) and allocates (new-space bytes), on the flows of a
// recording left in the state at its end (bench/jsonl-lines/run.mjs bundles and runs this).
// SPAN=1 repeats one flow; ADD=1 measures JsonlFlows' own add (what live calls per line: the
// room for the line found, then the line written into a LineWriter's chunk); DUMP=1 prints the md5 of all the lines instead (it equals
// `replay --format jsonl | md5sum` of recordings/churn.ssrec, whose flows all linger).
import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import { JsonlFlows } from '../../src/commands/jsonl-flows';
import { LineWriter } from '../../src/commands/line-writer';
import { heldSlots } from '../../src/core/reducer';
import { openRecording } from '../../src/record/reader';

const src = await openRecording(process.argv[2]);
const out = new JsonlFlows(src.header.bootTimeMs);
// No lines written while the recording is folded: its flows stay in the state.
(out as unknown as { out: unknown }).out = { current: null, reserve: () => null, addMerged() {}, flush: () => Promise.resolve() };
for await (const batch of src.batches()) await out.apply(batch);
const { state } = out;
const lines = (out as unknown as { lines: import('../../src/core/flow-json-line').FlowJsonLines }).lines;
const store = state.flows.store;
// Every flow held, those that opened and closed in one record (held outside state.flows) too.
const slots = [...heldSlots(state)];
// ORDER=end: the flows by end time (as live writes them, in close order) rather than slot
// order; FLIPS=1 also prints how often a time's second differs from the one of the line
// before (each a Date formatted with one second kept per time).
if (process.env.ORDER === 'end') slots.sort((x, y) => (store.transientView(x).endTs ?? Infinity) - (store.transientView(y).endTs ?? Infinity));
if (process.env.FLIPS) {
  let prev = [NaN, NaN];
  const flips = [0, 0];
  for (const slot of slots) {
    const f = store.transientView(slot);
    [f.startTs, f.endTs ?? NaN].forEach((ts, k) => {
      const s = Math.floor(Math.round(src.header.bootTimeMs + ts / 1e6) / 1000);
      if (s !== prev[k]) flips[k]++;
      prev[k] = s;
    });
  }
  console.log(JSON.stringify({ order: process.env.ORDER ?? 'slot', startFlips: flips[0], endFlips: flips[1] }));
}
const span = Number(process.env.SPAN ?? slots.length);
const b = Buffer.alloc(1 << 22);
const boot = src.header.bootTimeMs;

// The lines' writer for ADD=1: a stream that takes every chunk at once (as /dev/null does).
const sink = new LineWriter({ write: () => true, writableLength: 0 } as unknown as NodeJS.WritableStream);
const add = (out as unknown as { add(f: unknown): void }).add.bind(out);

function pass(n: number): void {
  if (process.env.ADD) {
    (out as unknown as { out: LineWriter }).out = sink;
    for (let i = 0; i < n; i++) add(store.transientView(slots[i % span]));
    return;
  }
  let at = 0;
  for (let i = 0; i < n; i++) {
    at = lines.writeLine(b, at, state, store.transientView(slots[i % span]), boot);
    if (at > b.length - 8192) at = 0;
  }
}

if (process.env.DUMP) {
  const h = createHash('md5');
  let at = 0;
  for (const slot of slots) {
    at = lines.writeLine(b, at, state, store.transientView(slot), boot);
    if (at > b.length - 8192) {
      h.update(b.subarray(0, at));
      at = 0;
    }
  }
  h.update(b.subarray(0, at));
  console.log(JSON.stringify({ flows: slots.length, md5: h.digest('hex') }));
} else {
  const newUsed = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;
  for (let r = 0; r < 200; r++) pass(5000); // optimized by now
  const N = 5000;
  let best = Infinity;
  const bytes: number[] = [];
  for (let r = 0; r < 40; r++) {
    const u0 = newUsed();
    const t0 = process.hrtime.bigint();
    pass(N);
    const t1 = process.hrtime.bigint();
    const u1 = newUsed();
    if (u1 >= u0) bytes.push((u1 - u0) / N); // else a scavenge ran: not counted
    best = Math.min(best, Number(t1 - t0) / N);
  }
  bytes.sort((x, y) => x - y);
  console.log(JSON.stringify({ flows: slots.length, nsPerLine: +best.toFixed(1), bytesPerLine: +(bytes[bytes.length >> 1] ?? NaN).toFixed(1) }));
}
