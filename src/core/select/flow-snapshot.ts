// The table values of the reducer's flows (a FlowTable: columns, no row object per flow),
// kept up to date from one interval to the next with work in proportion to what changed:
// names are looked up again only when the state's facts may have changed (or for a new
// flow), and a snapshot in which nothing changed is the previous one. Columns are written
// in place: a holder of an older snapshot sees the new values; the TUI freezes by not
// deriving (use-snapshot.ts). The table keeps each flow's slot in the reducer's flow store
// (flow-table.ts), not a view object per flow.
import type { Owner } from '../../events/types';
import type { CoreState } from '../state';
import type { FlowStore } from '../flow-store';
import { END_TS, INT_STRIDE, NUM_STRIDE, PAGE_BITS, PAGE_MASK, SERIAL, STATE } from '../flow-fields';
import { IntStack } from '../int-stack';
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

  /** The names of the flow in the store's `slot`. Its owner is read from the store's row,
   * and a view of the flow made only for namesOf on a miss: the store's view lookup by
   * slot was a random read per new flow (25,000 an interval under churn). */
  of(state: CoreState, store: FlowStore, slot: number): OwnerNames {
    if (state !== this.state || state.factsVersion !== this.version) {
      this.state = state;
      this.version = state.factsVersion;
      this.owners.fill(null);
      this.names.fill(null);
    }
    const owner = store.owner(slot);
    for (let k = 0; k < MEMO_OWNERS; k++) if (this.owners[k] === owner) return this.names[k]!;
    const names = namesOf(state, store.transientView(slot));
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
  /** The table's last flow at the last derive (its slot, -1: none, and its serial). */
  private tail = -1;
  private tailSerial = 0;
  /** The flows opened since (compact). */
  private readonly added = new IntStack();

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
    // The last flow in the state's order, where the next compact looks for new flows.
    this.tail = t.length > 0 ? t.slots[t.length - 1] : -1;
    this.tailSerial = this.tail >= 0 ? store.numAt(this.tail, SERIAL) : 0;
    t.settled();
    store.recycleHeld();
    store.holdReleased(true);
  }

  /** `factsChanged`: names (process, user, container facts) may differ since the last
   * call. A different state object (a replay seek) starts over. */
  derive(state: CoreState, factsChanged: boolean): FlowSnapshot {
    const t = this.snapshot.table;
    t.thaw();
    // Another state, or flows came or left: rebuild. None of the table's flows left and
    // as many flows as before means none came either: the same flows in the same order.
    if (state !== this.state || state.flows.size !== t.length || t.departures > 0) return this.rebuild(state, factsChanged);
    // The common interval when nothing churns: some counters moved. Read in the table's
    // order (the state's), not by a walk of the state's opening order, which is a list
    // linked through the store's rows (flow-index.ts): a dependent load per flow.
    const store = state.flows.store;
    const slots = t.slots;
    let text = false;
    for (let i = 0; i < t.length; i++) {
      const slot = slots[i];
      if (factsChanged) {
        const names = this.names.of(state, store, slot);
        if (t.names[i] !== names) {
          t.names[i] = names;
          text = true;
        }
      }
      // A closed flow's state and close are final (the reducer writes neither once END_TS
      // is set): under churn most of the flows held are closed, lingering.
      if (t.closed[i] === 0 && fillText(t, i, store, slot)) text = true;
    }
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
    if (!fresh) {
      const compacted = this.compact(state, factsChanged);
      if (compacted !== null) return compacted;
    }
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
    const t = this.tableFor(prev, n, store);
    const inPlace = t === prev;
    const positionOf = this.positionOf;
    let i = 0;
    let j = 0;
    // forEach: no iterator result per flow (derive).
    state.flows.slots.forEach((slot) => {
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
        } else t.copyFrom(prev, j, i);
        j++;
        if (factsChanged) t.names[i] = this.names.of(state, store, slot);
        // Its own state and close, final once closed (derive).
        if (t.closed[i] === 0) fillText(t, i, store, slot);
      } else {
        t.slots[i] = slot;
        t.names[i] = this.names.of(state, store, slot);
        // State and close at a reused position are the previous flow's: fillText writes what differs.
        fillText(t, i, store, slot);
      }
      positionOf[slot] = i++;
    });
    return this.finish(t, n, inPlace, store);
  }

  /** The table for n flows: the previous one, compacted in place, while n fits it and
   * fills at least a quarter of it; else a new one with room to grow by a quarter (flows
   * arriving over several intervals do not make a new table each time). Sizes positionOf
   * for the store's slots. */
  private tableFor(prev: FlowTable, n: number, store: FlowStore): FlowTable {
    const inPlace = n <= prev.capacity && n >= prev.capacity / 4;
    const t = inPlace ? prev : new FlowTable(Math.ceil(n * 1.25));
    t.store = store;
    if (this.positionOf.length < store.capacity) this.positionOf = new Int32Array(store.capacity);
    return t;
  }

  /** rebuild without a walk of the state's opening order (a list linked through the
   * store's rows: a dependent load per flow, 100,000 of them each interval at the cap,
   * 5-7% of the TUI's main thread under churn in two profiles): the previous order with
   * the flows that left taken out (their positions read -1: departing, markLeftHeld),
   * then the flows opened after the last flow the table had (`tail`), which must still
   * be there. Null when it is not, or when the counts do not add up to the state's
   * (rebuild then walks the state's order). */
  private compact(state: CoreState, factsChanged: boolean): FlowSnapshot | null {
    const store = state.flows.store;
    const index = state.flows.slots;
    const tail = this.tail;
    if (tail < 0 || store.numAt(tail, SERIAL) !== this.tailSerial) return null;
    const added = this.added;
    added.clear();
    for (let slot = index.nextOf(tail); slot !== -1; slot = index.nextOf(slot)) added.push(slot);
    const prev = this.snapshot.table;
    prev.markLeftHeld();
    const prevLength = prev.length;
    let kept = 0;
    for (let j = 0; j < prevLength; j++) if (prev.slots[j] >= 0) kept++;
    const n = state.flows.size;
    if (kept + added.length !== n) return null;
    const t = this.tableFor(prev, n, store);
    const inPlace = t === prev;
    const positionOf = this.positionOf;
    let i = 0;
    for (let j = 0; j < prevLength; j++) {
      const slot = prev.slots[j];
      if (slot < 0) continue;
      if (inPlace) {
        if (j !== i) t.move(j, i);
      } else t.copyFrom(prev, j, i);
      if (factsChanged) t.names[i] = this.names.of(state, store, slot);
      // Closed: its state and close are final (derive), no read of the store's rows.
      if (t.closed[i] === 0) fillText(t, i, store, slot);
      positionOf[slot] = i++;
    }
    for (let k = 0; k < added.length; k++) {
      const slot = added.at(k);
      t.slots[i] = slot;
      t.names[i] = this.names.of(state, store, slot);
      positionOf[slot] = i;
      fillText(t, i++, store, slot);
    }
    return this.finish(t, n, inPlace, store);
  }

  /** The end of a rebuild: the table's length, the held slots let go, the new shape. */
  private finish(t: FlowTable, n: number, inPlace: boolean, store: FlowStore): FlowSnapshot {
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
