// The reducer (and, in TUI mode, the screen's row snapshot and windowed selection, as
// use-snapshot.ts and use-selection.ts run them) holding many flows, for scripts/bench-memory.mjs. Events are made the way the live decoder makes them:
// a fresh owner object and fresh address strings per flow-open record.
import { applyBatch, createCoreState } from '../src/core/reducer';
import { FlowSnapshotDeriver, TableSelector, DEFAULT_SORT, parseQuery, type FlowTable } from '../src/core/select/index';
import type { AppEvent, Owner } from '../src/events/types';

const flows = Number(process.env.FLOWS ?? 100_000);
const ticks = Number(process.env.TICKS ?? 65);
// Fraction of flows that move each tick, or `once`: every flow moves in the first tick
// only (held connections that sent a byte, as the footprint benchmark's hold_conns).
const once = process.env.MOVING === 'once';
const moving = once ? 0 : Number(process.env.MOVING ?? 0);
const tui = process.env.MODE === 'tui';
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const SEC = 1e9;
const T0 = 3_600_000_000_000;
const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;
/** heapUsed does not count typed arrays' backing stores (the rate history rings):
 * arrayBuffers does. */
function measure(): { heapUsedMiB: number; arrayBuffersMiB: number; rssMiB: number } {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return { heapUsedMiB: mib(m.heapUsed), arrayBuffersMiB: mib(m.arrayBuffers), rssMiB: mib(m.rss) };
}

const before = measure();
// As each keeps its flows: --format jsonl keeps no rates (src/commands/jsonl-flows.ts).
const state = createCoreState({ lingerNs: Infinity, maxFlows: Number.MAX_SAFE_INTEGER, historyLength: tui ? 60 : 0, rates: tui });
const owner = (i: number): Owner => {
  const pid = 2000 + (i % 50); // hold_conns-like: few processes, many flows each
  return { pid, tid: pid, ppid: 1, uid: 1000, gid: 1000, comm: `proc${i % 50}`, cgroupId: 5000, netns: 4026531840 };
};
// Opening flows in batches of 10,000, as the live source's first drain does.
for (let base = 0; base < flows; base += 10_000) {
  const batch: AppEvent[] = [];
  for (let i = base; i < Math.min(flows, base + 10_000); i++) {
    batch.push({
      type: 'flow-open', ts: T0 + i, flowId: i + 1, cookie: 1e12 + i, proto: 'tcp', family: 4,
      laddr: `127.0.0.${1 + (i % 1)}`, lport: 20000 + (i % 40000), raddr: `127.0.0.${1 + (i % 1)}`, rport: 30000 + (i >> 1) % 30000,
      direction: i % 2 ? 'inbound' : 'outbound', owner: owner(i), state: 'ESTABLISHED', connectLatencyUs: 40, seenAtStart: false,
    });
  }
  applyBatch(state, batch);
}
let table: FlowTable | null = null;
const deriver = new FlowSnapshotDeriver();
const selector = new TableSelector();
const view = { groupBy: 'flow' as const, openGroup: null, query: parseQuery(''), sort: DEFAULT_SORT };
let shown = 0;
const moveEvery = moving > 0 ? Math.max(1, Math.round(1 / moving)) : 0;
for (let t = 1; t <= ticks; t++) {
  const list = [];
  if (once && t === 1) {
    for (let i = 0; i < flows; i++) list.push({ flowId: i + 1, bytesSent: 1, bytesReceived: 1, packetsSent: 1, packetsReceived: 1, retransmits: 0, srttUs: 50 });
  } else if (moveEvery) {
    for (let i = t % moveEvery; i < flows; i += moveEvery) {
      list.push({ flowId: i + 1, bytesSent: 1000 * t, bytesReceived: 1500 * t, packetsSent: t, packetsReceived: t, retransmits: 0, srttUs: 50 });
    }
  }
  const batch: AppEvent[] = [
    { type: 'counters', ts: T0 + t * SEC - 1, flows: list },
    { type: 'tick', ts: T0 + t * SEC, wallMs: 1_700_000_000_000 + t * 1000, lost: 0, evicted: 0 },
  ];
  applyBatch(state, batch);
  if (tui) {
    const snap = deriver.derive(state, t === 1);
    table = snap.table;
    shown += selector.select(snap, view).rows.slice(0, 40).length;
  }
}
const after = measure();
const used = (m: ReturnType<typeof measure>) => m.heapUsedMiB + m.arrayBuffersMiB;
const per = (used(after) - used(before)) * 1048576 / flows;
process.stdout.write(`${JSON.stringify({
  mode: tui ? 'tui' : 'jsonl', flows: state.flows.size, ticks, moving: once ? 'once' : moving, before, after,
  heapAndBuffersBytesPerFlow: Math.round(per), rssBytesPerFlow: Math.round((after.rssMiB - before.rssMiB) * 1048576 / flows), rows: table?.length ?? 0, shown: shown > 0,
})}\n`);
(globalThis as { benchKeep?: unknown }).benchKeep = { state, table }; // for a heap snapshot taken at exit
