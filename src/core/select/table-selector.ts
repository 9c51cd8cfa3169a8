// select for the screen: the same pipeline as selectTable (index.ts: filter, group or open
// a group, sort) over a FlowSnapshot's table, with work in proportion to what changed and
// to what is shown. Filtered flows and group plans (membership and text) are kept, as
// positions in the table, while the snapshot's shape is the same, so an interval in which
// only numbers changed costs the group sums; the order is computed only as far as the
// screen looks (ordered-rows.ts), and row objects are made only for the rows it shows.
import type { FlowSnapshot } from './flow-snapshot';
import { tableSource } from './flow-table';
import { groupKeyOf, planGroups, sumGroups, type GroupPlan } from './group';
import type { TableView } from './index';
import { OrderedRows, type RowList } from './ordered-rows';
import { filterPositions } from './query';
import type { TableRow } from './rows';

export interface WindowedSelection {
  rows: RowList<TableRow>;
  grouped: boolean; // rows are group rows
  matched: number; // flows that pass the filter
  total: number; // all flows
}

/** Entries kept per cache before it starts over. */
const MAX_CACHED = 32;

export class TableSelector {
  private shape: object | null = null;
  /** Table positions of the flows that pass a filter; null: all of them. */
  private filtered = new Map<string, Int32Array | null>();
  private plans = new Map<string, GroupPlan[]>();
  private opened = new Map<string, Int32Array>();

  select(snap: FlowSnapshot, view: TableView): WindowedSelection {
    // A filter typed letter by letter leaves one entry per prefix: keep a few.
    if (snap.shape !== this.shape || this.filtered.size > MAX_CACHED) {
      this.shape = snap.shape;
      this.filtered.clear();
      this.plans.clear();
      this.opened.clear();
    }
    const table = snap.table;
    const total = table.length;
    const q = view.query.source;
    let matched = this.filtered.get(q);
    if (matched === undefined) {
      matched = filterPositions(table, view.query);
      this.filtered.set(q, matched);
    }
    const matchedRows = tableSource(table, matched);
    if (view.openGroup !== null) {
      const k = `${view.groupBy}|${view.openGroup}|${q}`;
      let inGroup = this.opened.get(k);
      if (!inGroup) {
        const key = view.openGroup;
        const hits: number[] = [];
        for (let m = 0; m < matchedRows.length; m++) {
          if (groupKeyOf(matchedRows.peek(m), view.groupBy) === key) hits.push(matched === null ? m : matched[m]);
        }
        inGroup = Int32Array.from(hits);
        this.opened.set(k, inGroup);
      }
      return { rows: new OrderedRows(tableSource(table, inGroup), view.sort), grouped: false, matched: inGroup.length, total };
    }
    if (view.groupBy === 'flow') return { rows: new OrderedRows(matchedRows, view.sort), grouped: false, matched: matchedRows.length, total };
    const k = `${view.groupBy}|${q}`;
    let plan = this.plans.get(k);
    if (!plan) {
      plan = planGroups(matchedRows, view.groupBy);
      // Members as table positions: the sums read the table's columns directly.
      if (matched !== null) for (const g of plan) g.members = g.members.map((m) => matched[m]);
      this.plans.set(k, plan);
    }
    return { rows: new OrderedRows(sumGroups(plan, table), view.sort), grouped: true, matched: matchedRows.length, total };
  }
}
