import { useMemo, useRef, useState } from 'react';
import type { Totals } from '../../core/state';
import { FlowSnapshotDeriver, type FlowSnapshot } from '../../core/select/flow-snapshot';
import type { TuiFeed } from '../feed';

export interface Snapshot {
  flows: FlowSnapshot;
  totals: Totals;
  wallMs: number | null;
}

/** The flat rows of the feed's state, brought up to date only when the feed changed (and
 * then only the flows that changed: flow-snapshot.ts). While frozen, the snapshot taken
 * at the moment of freezing is returned instead: freeze is a state feature (bottom), the
 * reducer keeps running underneath. */
export function useSnapshot(feed: TuiFeed, version: number, facts: number | undefined, frozen: boolean): Snapshot {
  const deriver = useRef<FlowSnapshotDeriver | null>(null);
  const factsSeen = useRef<number | undefined>(undefined);
  const fresh = useMemo(() => {
    const s = feed.state();
    deriver.current ??= new FlowSnapshotDeriver();
    // A feed that does not say when facts arrive (facts undefined) may have brought some
    // with any change: names are looked up again each time.
    const factsChanged = facts === undefined || facts !== factsSeen.current;
    factsSeen.current = facts;
    const flows = deriver.current.derive(s, factsChanged);
    return { flows, totals: { ...s.totals, throughputHistory: [...s.totals.throughputHistory] }, wallMs: s.wallAtNow };
    // version is the change signal (the state object is mutated in place); while frozen
    // nothing is re-derived, so a frozen screen costs nothing per interval.
  }, [feed, frozen ? -1 : version]);
  const [frozenSnap, setFrozenSnap] = useState<Snapshot | null>(null);
  if (frozen && frozenSnap === null) {
    // The table reads its numbers from the reducer's store, which goes on changing: it
    // keeps a copy of them until the next derive (flow-table.ts).
    fresh.flows.table.freeze();
    setFrozenSnap(fresh);
  }
  if (!frozen && frozenSnap !== null) setFrozenSnap(null);
  return frozen ? (frozenSnap ?? fresh) : fresh;
}
