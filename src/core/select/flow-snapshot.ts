// The table values of the reducer's flows (a FlowTable: columns, no row object per flow),
// kept up to date from one interval to the next with work in proportion to what changed:
// names are looked up again only when the state's facts may have changed (or for a new
// flow), and a snapshot in which nothing changed is the previous one. Columns are written
// in place: a holder of an older snapshot sees the new values; the TUI freezes by not
// deriving (use-snapshot.ts).
import type { CoreState, Flow } from '../state';
import { FlowTable } from './flow-table';
import { namesOf, stateName, type FlowRow } from './rows';

export interface FlowSnapshot {
  /** Every flow's values, in the state's order (first seen first). */
  table: FlowTable;
  /** Replaced whenever the list of flows or any text a filter or a group reads (names,
   * state, closed) changed; the same object while only numbers changed. Selections key
   * their caches of filtered flows and group membership on it (table-selector.ts). */
  shape: object;
}

/** What fillValues reports: numbers changed (the order may have), or the state or the
 * close (what the filter and the groups' text read). */
const VALUES_CHANGED = 1;
const TEXT_CHANGED = 2;

/** a !== b, with NaN (missing) equal to NaN. */
function differs(a: number, b: number): boolean {
  return a !== b && (a === a || b === b);
}

/** Writes the flow's state and counters at position i; VALUES_CHANGED | TEXT_CHANGED
 * bits for what differs from what was there. */
function fillValues(t: FlowTable, i: number, flow: Flow): number {
  let changed = 0;
  const state = stateName(flow.state);
  const closed = flow.endTs !== null ? 1 : 0;
  if (t.state[i] !== state || t.closed[i] !== closed) {
    t.state[i] = state;
    t.closed[i] = closed;
    changed |= TEXT_CHANGED;
  }
  const retr = flow.retransmits ?? NaN;
  const rtt = flow.srttUs ?? NaN;
  const conn = flow.connectLatencyUs ?? NaN;
  if (t.txRate[i] !== flow.txRate || t.rxRate[i] !== flow.rxRate || t.tx[i] !== flow.bytesSent ||
      t.rx[i] !== flow.bytesReceived || differs(t.retr[i], retr) || differs(t.rttUs[i], rtt) ||
      differs(t.connectUs[i], conn)) {
    t.txRate[i] = flow.txRate;
    t.rxRate[i] = flow.rxRate;
    t.tx[i] = flow.bytesSent;
    t.rx[i] = flow.bytesReceived;
    t.retr[i] = retr;
    t.rttUs[i] = rtt;
    t.connectUs[i] = conn;
    changed |= VALUES_CHANGED;
  }
  return changed;
}

export class FlowSnapshotDeriver {
  private state: CoreState | null = null;
  private snapshot: FlowSnapshot = { table: new FlowTable(0), shape: {} };

  /** `factsChanged`: names (process, user, container facts) may differ since the last
   * call. A different state object (a replay seek) starts over. */
  derive(state: CoreState, factsChanged: boolean): FlowSnapshot {
    const t = this.snapshot.table;
    if (state !== this.state || state.flows.size !== t.length) return this.rebuild(state, factsChanged);
    // The common interval: the same flows in the same order, some counters moved. This
    // loop is kept small (V8 optimizes it quickly); any other case goes to rebuild.
    const prevFlows = t.flows; // t.length === state.flows.size here
    let text = false;
    let values = false;
    let moved = false;
    let i = 0;
    // forEach, not for...of: the Map iterator's result objects were not optimized away
    // here (4 MB allocated per interval at 100,000 flows, the TUI's largest allocation
    // when idle: heap sampling profile of the footprint bench).
    state.flows.forEach((flow) => {
      if (moved || prevFlows[i] !== flow) {
        moved = true;
        return;
      }
      if (factsChanged) {
        const names = namesOf(state, flow);
        if (t.names[i] !== names) {
          t.names[i] = names;
          text = true;
        }
      }
      const c = fillValues(t, i++, flow);
      if (c !== 0) {
        values = true;
        if (c & TEXT_CHANGED) text = true;
      }
    });
    if (moved) return this.rebuild(state, factsChanged);
    if (!text && !values) return this.snapshot;
    this.snapshot = { table: t, shape: text ? {} : this.snapshot.shape };
    return this.snapshot;
  }

  /** Flows came or left (or another state): a new shape, and the table compacted in
   * place (a new one only when it has no room, or far too much: under connection churn
   * this runs every interval). The state's order is the previous one with the flows that
   * left taken out and new ones at the end (a Map keeps insertion order, and a flow that
   * left never comes back: a repeated id is a new Flow), so the previous order is walked
   * side by side: a previous flow passed over before the current one is found has left,
   * with no lookup to ask (tens of thousands leave per interval under churn). A new flow
   * runs the walk to the end: the previous flows still there all came before it. Each
   * flow is written at or before its previous position, so compacting in place never
   * overwrites a position still to be read. */
  private rebuild(state: CoreState, factsChanged: boolean): FlowSnapshot {
    const fresh = state !== this.state;
    this.state = state;
    const prev = fresh ? new FlowTable(0) : this.snapshot.table;
    const prevLength = prev.length;
    const n = state.flows.size;
    const inPlace = n <= prev.capacity && n >= prev.capacity / 4;
    // Room to grow by a quarter: flows arriving over several intervals do not make a new
    // table each time.
    const t = inPlace ? prev : new FlowTable(Math.ceil(n * 1.25));
    let i = 0;
    let j = 0;
    // forEach: no iterator result per flow (derive).
    state.flows.forEach((flow) => {
      // A flow that replaced another under the same id (recordings only; live ids never
      // repeat) is out of the previous order: the walk then runs to the end and the flows
      // after it have their names looked up again, only slower.
      while (j < prevLength && prev.flows[j] !== flow) j++;
      if (j < prevLength) {
        // Found in the previous order: its values move along, the names stay unless facts came.
        if (inPlace) {
          if (j !== i) t.move(j, i);
        } else {
          t.flows[i] = flow;
          t.names[i] = prev.names[j];
        }
        j++;
        if (factsChanged) t.names[i] = namesOf(state, flow);
      } else {
        t.flows[i] = flow;
        t.names[i] = namesOf(state, flow);
      }
      // Values at a reused position are the previous flow's: fillValues writes what differs.
      fillValues(t, i++, flow);
    });
    if (inPlace) t.truncate(n);
    else t.length = n;
    this.snapshot = { table: t, shape: {} };
    return this.snapshot;
  }
}

/** Every flow's row, made afresh (tests, the one-shot select()). */
export function deriveFlowRows(state: CoreState): FlowRow[] {
  return new FlowSnapshotDeriver().derive(state, true).table.rows();
}
