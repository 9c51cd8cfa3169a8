// select(state, view) -> rows: the one pipeline from the reducer's state to what the table
// shows. Pure: derive flat rows, filter, group (or open one group), sort. The TUI windows
// the result to the viewport.
import type { CoreState } from '../state';
import { filterRows, type Query } from './query';
import { groupKeyOf, groupRows, type GroupBy } from './group';
import { deriveFlowRows } from './flow-snapshot';
import type { FlowRow, TableRow } from './rows';
import { sortRows, type SortSpec } from './sort';

export interface TableView {
  groupBy: GroupBy;
  /** Set when drilled into one group: its flows are listed. */
  openGroup: string | null;
  query: Query;
  sort: SortSpec;
}

export interface TableSelection {
  rows: TableRow[];
  grouped: boolean; // rows are group rows
  matched: number; // flows that pass the filter
  total: number; // all flows
}

export function selectTable(flows: readonly FlowRow[], view: TableView): TableSelection {
  let matched = filterRows(flows, view.query);
  const total = flows.length;
  if (view.openGroup !== null) {
    const key = view.openGroup;
    matched = matched.filter((r) => groupKeyOf(r, view.groupBy) === key);
    return { rows: sortRows(matched, view.sort), grouped: false, matched: matched.length, total };
  }
  if (view.groupBy === 'flow') return { rows: sortRows(matched, view.sort), grouped: false, matched: matched.length, total };
  return { rows: sortRows(groupRows(matched, view.groupBy), view.sort), grouped: true, matched: matched.length, total };
}

export function select(state: CoreState, view: TableView): TableSelection {
  return selectTable(deriveFlowRows(state), view);
}

export * from './columns';
export * from './format';
export * from './group';
export * from './query';
export * from './rows';
export * from './sort';
export * from './window';
export * from './flow-snapshot';
export * from './flow-table';
export * from './ordered-rows';
export * from './table-selector';
