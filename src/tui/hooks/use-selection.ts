import { useCallback, useEffect, useRef } from 'react';
import { nextGrouping, type GroupBy } from '../../core/select/group';
import type { FlowSnapshot } from '../../core/select/flow-snapshot';
import type { TableView } from '../../core/select/index';
import { TableSelector, type WindowedSelection } from '../../core/select/table-selector';

const keyOf = (v: TableView) => `${v.groupBy}|${v.openGroup ?? ''}|${v.query.source}|${v.sort.column}|${v.sort.descending}`;

/** Speculative selections made at start whatever happens: they also warm the code up. */
const WARM_UP = 3;

/** The table's rows for a view, memoized per snapshot: the same view is never selected
 * twice for the same data (a key that comes back to an earlier view, Esc after a
 * drill-down, costs nothing). Filtered flows and groups' membership are kept across
 * snapshots of the same shape (table-selector.ts). While the user is at the keys
 * (`active`), and for the first few intervals, the next grouping (what Tab shows) is
 * selected too, in a timer turn after the frame is drawn, so that Tab on 10,000 flows
 * redraws at once instead of grouping them while the user waits; a screen nobody touches
 * does not pay it. Returns the selection and a function that selects another view of the
 * same snapshot (through the same caches). */
export function useSelection(
  snap: FlowSnapshot, view: TableView, active: boolean, firstRows: number,
): [WindowedSelection, (v: TableView) => WindowedSelection] {
  const speculated = useRef(0);
  const selector = useRef<TableSelector | null>(null);
  const cache = useRef(new Map<string, WindowedSelection>());
  const cachedSnap = useRef(snap);
  if (cachedSnap.current !== snap) {
    cache.current.clear();
    cachedSnap.current = snap;
  }
  const selectFor = useCallback((v: TableView): WindowedSelection => {
    const s = cachedSnap.current;
    const key = keyOf(v);
    let sel = cache.current.get(key);
    if (!sel) {
      selector.current ??= new TableSelector();
      sel = selector.current.select(s, v);
      cache.current.set(key, sel);
    }
    return sel;
  }, []);
  const sel = selectFor(view);
  const { groupBy, openGroup, query, sort } = view;
  useEffect(() => {
    if (openGroup !== null || (!active && speculated.current >= WARM_UP)) return;
    const next: TableView = { groupBy: nextGrouping(groupBy) as GroupBy, openGroup: null, query, sort };
    const t = setTimeout(() => {
      if (cachedSnap.current !== snap || cache.current.has(keyOf(next))) return;
      // The first screenful is ordered too: Tab then only draws.
      selectFor(next).rows.slice(0, firstRows);
      speculated.current++;
    }, 0);
    return () => clearTimeout(t);
  }, [snap, groupBy, openGroup, query, sort, active, firstRows, selectFor]);
  return [sel, selectFor];
}
