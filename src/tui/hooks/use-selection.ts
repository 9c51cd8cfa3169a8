import { useEffect, useRef } from 'react';
import { nextGrouping, type GroupBy } from '../../core/select/group';
import { selectTable, type FlowRow, type TableSelection, type TableView } from '../../core/select/index';

const keyOf = (v: TableView) => `${v.groupBy}|${v.openGroup ?? ''}|${v.query.source}|${v.sort.column}|${v.sort.descending}`;

/** Speculative selections made at start whatever happens: they also warm the code up. */
const WARM_UP = 3;

/** The table's rows for a view, memoized per snapshot: the same view is never selected
 * twice for the same data (a key that comes back to an earlier view, Esc after a
 * drill-down, costs nothing). While the user is at the keys (`active`), and for the
 * first few intervals, the next grouping (what Tab shows) is selected too, in a timer
 * turn after the frame is drawn, so that Tab on 10,000 flows redraws at once instead of
 * grouping them while the user waits. That costs one grouping per interval, a few ms at
 * 10,000 flows; a screen nobody touches does not pay it. */
export function useSelection(rows: readonly FlowRow[], view: TableView, active: boolean): TableSelection {
  const speculated = useRef(0);
  const cache = useRef(new Map<string, TableSelection>());
  const cachedRows = useRef(rows);
  if (cachedRows.current !== rows) {
    cache.current.clear();
    cachedRows.current = rows;
  }
  const key = keyOf(view);
  let sel = cache.current.get(key);
  if (!sel) {
    sel = selectTable(rows, view);
    cache.current.set(key, sel);
  }
  const { groupBy, openGroup, query, sort } = view;
  useEffect(() => {
    if (openGroup !== null || (!active && speculated.current >= WARM_UP)) return;
    const next: TableView = { groupBy: nextGrouping(groupBy) as GroupBy, openGroup: null, query, sort };
    const t = setTimeout(() => {
      if (cachedRows.current !== rows || cache.current.has(keyOf(next))) return;
      cache.current.set(keyOf(next), selectTable(rows, next));
      speculated.current++;
    }, 0);
    return () => clearTimeout(t);
  }, [rows, groupBy, openGroup, query, sort, active]);
  return sel;
}
