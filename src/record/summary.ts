// Reads a whole recording through the reducer and says what is in it (`sockscope info`,
// scripts/bench-replay.mjs).
import { applyBatch, createCoreState, wallMsAt } from '../core/reducer';
import type { CoreState } from '../core/state';
import { FlowIntervalCounter } from './flow-intervals';
import type { RecordingSource } from './reader';

export interface RecordingSummary {
  chunks: number;
  events: number;
  /** Flows active per interval, summed (src/record/flow-intervals.ts). */
  flowIntervals: number;
  /** Entries of counters snapshots: one per flow per interval in which its counters moved. */
  counterEntries: number;
  ticks: number;
  flows: number;
  tcp: number;
  udp: number;
  connectFailures: number;
  processes: number;
  users: number;
  containers: number;
  lost: number;
  evicted: number;
  durationMs: number | null;
  start: string | null;
  end: string | null;
  complete: boolean;
  damage: string | null;
}

export async function summarize(source: RecordingSource): Promise<{ summary: RecordingSummary; state: CoreState }> {
  const state = createCoreState({ lingerNs: Infinity, maxFlows: Number.MAX_SAFE_INTEGER, historyLength: 0 });
  let chunks = 0;
  let events = 0;
  let counterEntries = 0;
  const flowIntervals = new FlowIntervalCounter();
  let firstTs: number | null = null;
  let lastTs: number | null = null;
  const pids = new Set<number>();
  for await (const batch of source.batches()) {
    chunks++;
    events += batch.length;
    for (const e of batch) {
      if (e.type === 'counters') counterEntries += e.flows.length;
      else if (e.type === 'counter-columns') counterEntries += e.columns.length;
      if ('ts' in e) {
        if (firstTs === null || e.ts < firstTs) firstTs = e.ts;
        if (lastTs === null || e.ts > lastTs) lastTs = e.ts;
      }
      if (e.type === 'flow-open' || e.type === 'connect-fail') pids.add(e.owner.pid);
    }
    flowIntervals.add(batch);
    applyBatch(state, batch);
  }
  let tcp = 0;
  let udp = 0;
  for (const f of state.flows.values()) {
    if (f.proto === 'tcp') tcp++;
    else udp++;
  }
  const containers = new Set<string>();
  for (const c of state.cgroups.values()) if (c.container) containers.add(c.container.id);
  const iso = (ts: number | null) => {
    if (ts === null) return null;
    const ms = wallMsAt(state, ts) ?? source.header.bootTimeMs + ts / 1e6;
    return Number.isFinite(ms) ? new Date(Math.round(ms)).toISOString() : null;
  };
  const summary: RecordingSummary = {
    chunks,
    events,
    flowIntervals: flowIntervals.total,
    counterEntries,
    ticks: state.ticks,
    flows: state.flows.size,
    tcp,
    udp,
    connectFailures: state.totals.connectFailures,
    processes: pids.size,
    users: state.users.size,
    containers: containers.size,
    lost: state.totals.lost,
    evicted: state.totals.evicted,
    durationMs: firstTs === null || lastTs === null ? null : (lastTs - firstTs) / 1e6,
    start: iso(firstTs),
    end: iso(lastTs),
    complete: source.end() !== null,
    damage: source.damage()?.message ?? null,
  };
  return { summary, state };
}
