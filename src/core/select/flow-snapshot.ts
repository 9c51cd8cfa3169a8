// The flat rows of the reducer's state, kept up to date from one interval to the next
// with work in proportion to what changed: a flow whose state and counters did not
// change keeps its row untouched, names are looked up again only when the state's facts
// may have changed (or for a new flow), and a snapshot in which nothing changed is the
// previous one. Rows are mutated in place: a holder of an older snapshot sees the new
// values; the TUI freezes by not deriving (use-snapshot.ts).
import type { CoreState, Flow } from '../state';
import { cachedFlowRow, fillNames, fillValues, TEXT_CHANGED, type FlowRow } from './rows';

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
    const fresh = state !== this.state;
    this.state = state;
    const prevFlows = fresh ? [] : this.flows;
    const prevRows = (fresh ? [] : this.snapshot.rows) as FlowRow[];
    const n = state.flows.size;
    // The state's order is the previous one with the flows that left taken out and the
    // new ones at the end (a Map keeps insertion order): walk both side by side. The
    // previous arrays are reused as long as nothing left or came.
    let flows = prevFlows;
    let rows = prevRows;
    let listChanged = false;
    let textChanged = false;
    let valuesChanged = false;
    let i = 0;
    let j = 0;
    for (const flow of state.flows.values()) {
      // Skip the flows that left (the state no longer holds them).
      while (j < prevFlows.length && prevFlows[j] !== flow && state.flows.get(prevFlows[j].flowId) !== prevFlows[j]) j++;
      let row: FlowRow;
      if (j < prevFlows.length && prevFlows[j] === flow) {
        row = prevRows[j++];
        if (factsChanged && fillNames(state, flow, row)) textChanged = true;
        const c = fillValues(flow, row);
        if (c !== 0) {
          valuesChanged = true;
          if (c & TEXT_CHANGED) textChanged = true;
        }
      } else {
        // A new flow (or, rarely, one out of the previous order: its row is refreshed).
        const got = cachedFlowRow(state, flow);
        row = got.row;
        if (!got.made) {
          if (factsChanged) fillNames(state, flow, row);
          fillValues(flow, row);
        }
      }
      if (!listChanged && (i !== j - 1 || prevRows[i] !== row)) {
        listChanged = true;
        flows = prevFlows.slice(0, i);
        rows = prevRows.slice(0, i);
        flows.length = rows.length = n;
      }
      if (listChanged) {
        flows[i] = flow;
        rows[i] = row;
      }
      i++;
    }
    if (fresh || i !== prevFlows.length) listChanged = true;
    if (listChanged && flows === prevFlows) {
      // Only flows at the end left: the kept ones are the previous arrays' start.
      flows = prevFlows.slice(0, n);
      rows = prevRows.slice(0, n);
    }
    if (!listChanged && !textChanged && !valuesChanged) return this.snapshot;
    this.flows = flows;
    const shape = listChanged || textChanged ? {} : this.snapshot.shape;
    this.snapshot = { rows, shape };
    return this.snapshot;
  }
}
