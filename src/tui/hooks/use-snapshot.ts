import { useMemo, useState } from 'react';
import type { Totals } from '../../core/state';
import { deriveFlowRows, type FlowRow } from '../../core/select/rows';
import type { TuiFeed } from '../feed';

export interface Snapshot {
  rows: FlowRow[];
  totals: Totals;
  wallMs: number | null;
}

/** The flat rows of the feed's state, re-derived only when the feed changed. While frozen,
 * the snapshot taken at the moment of freezing is returned instead: freeze is a state
 * feature (bottom), the reducer keeps running underneath. */
export function useSnapshot(feed: TuiFeed, version: number, frozen: boolean): Snapshot {
  const fresh = useMemo(() => {
    const s = feed.state();
    return { rows: deriveFlowRows(s), totals: { ...s.totals, throughputHistory: [...s.totals.throughputHistory] }, wallMs: s.wallAtNow };
    // version is the change signal (the state object is mutated in place); while frozen
    // nothing is re-derived, so a frozen screen costs nothing per interval.
  }, [feed, frozen ? -1 : version]);
  const [frozenSnap, setFrozenSnap] = useState<Snapshot | null>(null);
  if (frozen && frozenSnap === null) setFrozenSnap(fresh);
  if (!frozen && frozenSnap !== null) setFrozenSnap(null);
  return frozen ? (frozenSnap ?? fresh) : fresh;
}
