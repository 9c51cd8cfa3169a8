// The flat rows of the reducer's state, kept up to date from one interval to the next
// with work in proportion to what changed: a flow whose state and counters did not
// change keeps its row untouched, names are looked up again only when the state's facts
// may have changed (or for a new flow), and a snapshot in which nothing changed is the
// previous one. Rows are mutated in place: a holder of an older snapshot sees the new
// values; the TUI freezes by not deriving (use-snapshot.ts).
import type { CoreState, Flow } from '../state';
import { fillNames, newFlowRow, fillValues, TEXT_CHANGED, type DerivedFlowRow, type FlowRow } from './rows';

export interface FlowSnapshot {
  /** Every flow's row, in the state's order (first seen first). */
  rows: readonly FlowRow[];
  /** Replaced whenever the list of flows or any text a filter or a group reads (names,
   * state, closed) changed; the same object while only numbers changed. Selections key
   * their caches of filtered flows and group membership on it (table-selector.ts). */
  shape: object;
}

export class FlowSnapshotDeriver {
  private state: CoreState | null = null;
  private flows: Flow[] = [];
  private snapshot: FlowSnapshot = { rows: [], shape: {} };

  /** `factsChanged`: names (process, user, container facts) may differ since the last
   * call. A different state object (a replay seek) starts over. */
  derive(state: CoreState, factsChanged: boolean): FlowSnapshot {
    if (state !== this.state || state.flows.size !== this.flows.length) return this.rebuild(state, factsChanged);
    // The common interval: the same flows in the same order, some counters moved. This
    // loop is kept small (V8 optimizes it quickly); any other case goes to rebuild.
    const prevFlows = this.flows;
    const rows = this.snapshot.rows as DerivedFlowRow[];
    let text = false;
    let values = false;
    let i = 0;
    for (const flow of state.flows.values()) {
      if (prevFlows[i] !== flow) return this.rebuild(state, factsChanged);
      const row = rows[i++];
      if (factsChanged && fillNames(state, flow, row)) text = true;
      const c = fillValues(flow, row);
      if (c !== 0) {
        values = true;
        if (c & TEXT_CHANGED) text = true;
      }
    }
    if (!text && !values) return this.snapshot;
    this.snapshot = { rows, shape: text ? {} : this.snapshot.shape };
    return this.snapshot;
  }

  /** Flows came or left (or another state): new arrays, a new shape. The state's order
   * is the previous one with the flows that left taken out and new ones at the end (a
   * Map keeps insertion order, and a flow that left never comes back: a repeated id is a
   * new Flow), so the previous rows are walked side by side: a previous flow passed over
   * before the current one is found has left, with no lookup to ask (under connection
   * churn tens of thousands leave per interval). A new flow runs the walk to the end: the
   * previous flows still there all came before it. */
  private rebuild(state: CoreState, factsChanged: boolean): FlowSnapshot {
    const fresh = state !== this.state;
    this.state = state;
    const prevFlows = fresh ? [] : this.flows;
    const prevRows = (fresh ? [] : this.snapshot.rows) as DerivedFlowRow[];
    const n = state.flows.size;
    const flows = new Array<Flow>(n);
    const rows = new Array<DerivedFlowRow>(n);
    let i = 0;
    let j = 0;
    for (const flow of state.flows.values()) {
      // Skip the flows that left: the state keeps the previous order for the flows it still
      // holds (a Map in first-seen order; new flows come after them), so this walk is one
      // pass over the previous order, with no lookup per flow. A flow that replaced another
      // under the same id (recordings only; live ids never repeat) takes its key's place:
      // the walk then runs to the end and the flows after it get new rows, only slower.
      while (j < prevFlows.length && prevFlows[j] !== flow) j++;
      let row: DerivedFlowRow;
      if (j < prevFlows.length && prevFlows[j] === flow) {
        row = prevRows[j++];
        if (factsChanged) fillNames(state, flow, row);
        fillValues(flow, row);
      } else {
        // A new flow (or, rarely, one out of the previous order: it gets a new row; a
        // lookup table from flow to row, kept for this case, cost ~40 bytes a flow).
        row = newFlowRow(state, flow);
      }
      flows[i] = flow;
      rows[i++] = row;
    }
    this.flows = flows;
    this.snapshot = { rows, shape: {} };
    return this.snapshot;
  }
}
