// The table values of the reducer's flows (a FlowTable: columns, no row object per flow),
// kept up to date from one interval to the next with work in proportion to what changed:
// names are looked up again only when the state's facts may have changed (or for a new
// flow), and a snapshot in which nothing changed is the previous one. Columns are written
// in place: a holder of an older snapshot sees the new values; the TUI freezes by not
// deriving (use-snapshot.ts). The table keeps each flow's slot in the reducer's flow store
// (flow-table.ts), not a view object per flow.
import type { Owner } from '../../events/types';
import type { CoreState, Flow } from '../state';
import type { FlowStore } from '../flow-store';
import { END_TS, INT_STRIDE, NUM_STRIDE, PAGE_BITS, PAGE_MASK, STATE } from '../flow-fields';
import { FlowTable } from './flow-table';
import { namesOf, OTHER_STATE, stateCode, type FlowRow, type OwnerNames } from './rows';

/** Owners whose names the deriver remembers (NamesMemo). */
const MEMO_OWNERS = 4;

/** namesOf for the last few owners, while the state's facts (factsVersion) and the state
 * are the same: every name namesOf reads (a process's exe, a user, a container) changes
 * only with a fact, which bumps factsVersion. Under connection churn every new flow has
 * its names looked up (~25,000 a second) and they come from a few owners (the churning
 * processes' threads): four identity compares instead of three Map lookups and a
 * WeakMap's. The same objects namesOf returns. */
class NamesMemo {
  private state: CoreState | null = null;
  private version = -1;
  private readonly owners: Array<Owner | null> = new Array<Owner | null>(MEMO_OWNERS).fill(null);
  private readonly names: Array<OwnerNames | null> = new Array<OwnerNames | null>(MEMO_OWNERS).fill(null);
  private next = 0;

  of(state: CoreState, flow: Flow): OwnerNames {
    if (state !== this.state || state.factsVersion !== this.version) {
      this.state = state;
      this.version = state.factsVersion;
      this.owners.fill(null);
      this.names.fill(null);
    }
    const owner = flow.owner;
    for (let k = 0; k < MEMO_OWNERS; k++) if (this.owners[k] === owner) return this.names[k]!;
    const names = namesOf(state, flow);
    this.owners[this.next] = owner;
    this.names[this.next] = names;
    this.next = (this.next + 1) % MEMO_OWNERS;
    return names;
  }
}

/** The table's state code (rows.ts stateCode) of each word code of the store's STATE (a
 * word's code never changes): an array read per flow each interval instead of a Map. */
const stateOfWord: number[] = [];

export interface FlowSnapshot {
  /** Every flow's values, in the state's order (first seen first). */
  table: FlowTable;
  /** Replaced whenever the list of flows or any text a filter or a group reads (names,
   * state, closed) changed; the same object while only numbers changed. Selections key
   * their caches of filtered flows and group membership on it (table-selector.ts). */
  shape: object;
}

/** Writes the state and the close of the flow in the store's `slot` at position i; true
 * when they differ from what was there (what the filter and the groups' text read). Read
 * from the store's rows, not through a view's getters (no heap number per flow, and this
 * runs over every flow each interval). The numbers are not copied: the table reads them
 * from the store (flow-table.ts), and the store counts the intervals that wrote any. */
function fillText(t: FlowTable, i: number, store: FlowStore, slot: number): boolean {
  const word = store.int[slot >> PAGE_BITS][(slot & PAGE_MASK) * INT_STRIDE + STATE];
  let state = word >= 0 ? stateOfWord[word] : undefined;
  if (state === undefined) {
    state = stateCode(store.wordOf(word));
    if (word >= 0) stateOfWord[word] = state;
  }
  const end = store.num[slot >> PAGE_BITS][(slot & PAGE_MASK) * NUM_STRIDE + END_TS];
  const closed = end === end ? 1 : 0;
  // OTHER_STATE: the text is not in the code, so it may have changed.
  if (t.state[i] === state && t.closed[i] === closed && state !== OTHER_STATE) return false;
  t.state[i] = state;
  t.closed[i] = closed;
  return true;
}

export class FlowSnapshotDeriver {
  private state: CoreState | null = null;
  private snapshot: FlowSnapshot = { table: new FlowTable(0), shape: {} };
  /** Position in the table of the flow in each slot of the store (valid where the
   * table's slot at that position is the same slot). */
  private positionOf = new Int32Array(0);
  /** Stops the store's release calls to this deriver (a state it no longer derives). */
  private unlisten: (() => void) | null = null;
  /** The store's count of number writes (FlowStore.valueWrites) at the last derive. */
  private valueWrites = -1;
  private readonly names = new NamesMemo();

  /** A flow the table shows is leaving the store: its slot is held until the next derive
   * (the table reads it there), or, while the screen is frozen, the table keeps a copy. */
  private readonly onRelease = (slot: number): void => {
    const t = this.snapshot.table;
    const p = slot < this.positionOf.length ? this.positionOf[slot] : -1;
    if (p >= 0 && p < t.length && t.slots[p] === slot) {
      if (this.state!.flows.store.holding) t.leftHeldAt(p);
      else t.departing(p);
    }
  };

  /** After a derive: the table shows no slot that was released, so the held ones are
   * reused, and from now on released slots are held until the next derive. */
  private settle(t: FlowTable, store: FlowStore): void {
    t.settled();
    store.recycleHeld();
    store.holdReleased(true);
  }

  /** `factsChanged`: names (process, user, container facts) may differ since the last
   * call. A different state object (a replay seek) starts over. */
  derive(state: CoreState, factsChanged: boolean): FlowSnapshot {
    const t = this.snapshot.table;
    t.thaw();
    if (state !== this.state || state.flows.size !== t.length) return this.rebuild(state, factsChanged);
    // The common interval: the same flows in the same order, some counters moved. This
    // loop is kept small (V8 optimizes it quickly); any other case goes to rebuild.
    const prevSlots = t.slots; // t.length === state.flows.size here
    const store = state.flows.store;
    let text = false;
    let moved = false;
    let i = 0;
    // forEach, not for...of: the Map iterator's result objects were not optimized away
    // here (4 MB allocated per interval at 100,000 flows, the TUI's largest allocation
    // when idle: heap sampling profile of the footprint bench).
    state.flows.slots.forEach((slot) => {
      if (moved || prevSlots[i] !== slot) {
        moved = true;
        return;
      }
      if (factsChanged) {
        const names = this.names.of(state, store.transientView(slot));
        if (t.names[i] !== names) {
          t.names[i] = names;
          text = true;
        }
      }
      if (fillText(t, i++, store, slot)) text = true;
    });
    if (moved) return this.rebuild(state, factsChanged);
    this.settle(t, store);
    const values = store.valueWrites !== this.valueWrites;
    this.valueWrites = store.valueWrites;
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
    const store = state.flows.store;
    if (fresh) {
      this.unlisten?.();
      const stop = store.onRelease(this.onRelease);
      this.unlisten = () => {
        stop();
        store.holdReleased(false);
      };
    }
    this.state = state;
    const prev = fresh ? new FlowTable(0) : this.snapshot.table;
    const prevLength = prev.length;
    const n = state.flows.size;
    const inPlace = n <= prev.capacity && n >= prev.capacity / 4;
    // Room to grow by a quarter: flows arriving over several intervals do not make a new
    // table each time.
    const t = inPlace ? prev : new FlowTable(Math.ceil(n * 1.25));
    t.store = store;
    if (this.positionOf.length < store.capacity) this.positionOf = new Int32Array(store.capacity);
    const positionOf = this.positionOf;
    let i = 0;
    let j = 0;
    // forEach: no iterator result per flow (derive).
    state.flows.slots.forEach((slot) => {
      const flow = store.transientView(slot);
      // A flow that replaced another under the same id (recordings only; live ids never
      // repeat) is out of the previous order: the walk then runs to the end and the flows
      // after it have their names looked up again, only slower. A slot that a flow left
      // is -1 in the previous order (departing), so a reused slot is never taken for the
      // flow that had it.
      while (j < prevLength && prev.slots[j] !== slot) j++;
      if (j < prevLength) {
        // Found in the previous order: its values move along, the names stay unless facts came.
        if (inPlace) {
          if (j !== i) t.move(j, i);
        } else {
          t.slots[i] = slot;
          t.names[i] = prev.names[j];
        }
        j++;
        if (factsChanged) t.names[i] = this.names.of(state, flow);
      } else {
        t.slots[i] = slot;
        t.names[i] = this.names.of(state, flow);
      }
      positionOf[slot] = i;
      // State and close at a reused position are the previous flow's: fillText writes what differs.
      fillText(t, i++, store, slot);
    });
    if (inPlace) t.truncate(n);
    else t.length = n;
    // Copies of flows that left: none of them is in the table any more.
    t.gone.clear();
    this.settle(t, store);
    this.valueWrites = store.valueWrites;
    this.snapshot = { table: t, shape: {} };
    return this.snapshot;
  }
}

/** Every flow's row, made afresh (tests, the one-shot select()). */
export function deriveFlowRows(state: CoreState): FlowRow[] {
  return new FlowSnapshotDeriver().derive(state, true).table.rows();
}
