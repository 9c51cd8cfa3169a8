// select for the screen: the same pipeline as selectTable (index.ts: filter, group or open
// a group, sort) over a FlowSnapshot, with work in proportion to what changed and to what
// is shown. Filtered flows and group plans (membership and text) are kept while the
// snapshot's shape is the same, so an interval in which only numbers changed costs the
// group sums; the order is computed only as far as the screen looks (ordered-rows.ts).
import type { FlowSnapshot } from './flow-snapshot';
import { groupKeyOf, planGroups, sumGroups, type GroupPlan } from './group';
import type { TableView } from './index';
import { OrderedRows, type RowList } from './ordered-rows';
import { filterRows } from './query';
import type { FlowRow, TableRow } from './rows';

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
  private filtered = new Map<string, FlowRow[]>();
  private plans = new Map<string, GroupPlan[]>();
  private opened = new Map<string, FlowRow[]>();

  select(snap: FlowSnapshot, view: TableView): WindowedSelection {
    // A filter typed letter by letter leaves one entry per prefix: keep a few.
    if (snap.shape !== this.shape || this.filtered.size > MAX_CACHED) {
      this.shape = snap.shape;
      this.filtered.clear();
      this.plans.clear();
      this.opened.clear();
    }
    const total = snap.rows.length;
    const q = view.query.source;
    let matched = this.filtered.get(q);
    if (!matched) {
      matched = filterRows(snap.rows, view.query);
      this.filtered.set(q, matched);
    }
    if (view.openGroup !== null) {
      const k = `${view.groupBy}|${view.openGroup}|${q}`;
      let inGroup = this.opened.get(k);
      if (!inGroup) {
        const key = view.openGroup;
        inGroup = matched.filter((r) => groupKeyOf(r, view.groupBy) === key);
        this.opened.set(k, inGroup);
      }
      return { rows: new OrderedRows(inGroup, view.sort), grouped: false, matched: inGroup.length, total };
    }
    if (view.groupBy === 'flow') return { rows: new OrderedRows(matched, view.sort), grouped: false, matched: matched.length, total };
    const k = `${view.groupBy}|${q}`;
    let plan = this.plans.get(k);
    if (!plan) {
      plan = planGroups(matched, view.groupBy);
      this.plans.set(k, plan);
    }
    return { rows: new OrderedRows(sumGroups(plan), view.sort), grouped: true, matched: matched.length, total };
  }
}
