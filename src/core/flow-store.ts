// The reducer's flows as rows of typed arrays indexed by a slot: numbers unboxed and never
// visited by the garbage collector, strings and shared objects in plain arrays. A flow
// object of ~30 fields (with boxed doubles for its times and cookie) was ~340-480 bytes of
// heap each, and under connection churn each lived its linger out in the old generation;
// a slot is 152 bytes of rows plus 9 references. A flow's numbers are one row (not one
// column per field) so that an event touches one or two cache lines of it, and growing
// the store is two allocations, not one per field (a replay of a small recording creates
// a state and grows it several times). Owned and written only by the reducer
// (reducer.ts); readers get a FlowView (flow-view.ts) per slot, with the Flow interface.
import type { Direction, Owner, Proto } from '../events/types';
import { INT_STRIDE, NUM_STRIDE, SERIAL } from './flow-fields';
import { FlowView } from './flow-view';

/** Slots a store starts with: a state is created per replay (and per benchmark pass). */
const INITIAL_CAPACITY = 64;

export class FlowStore {
  capacity = 0;
  /** Slots handed out from the start of the columns, free or not. */
  private used = 0;
  /** Slots given back, reused before new ones. */
  private free: number[] = [];
  /** Rows of NUM_STRIDE doubles. SERIAL is the serial of the flow in the slot (0: free):
   * an entry of the reducer's lists that names a slot and a serial is stale once the
   * slot's flow left (or another took it). */
  num = new Float64Array(0);
  /** Rows of INT_STRIDE int32s. */
  int = new Int32Array(0);
  private nextSerial = 1;

  proto: Proto[] = [];
  laddr: string[] = [];
  raddr: string[] = [];
  direction: Direction[] = [];
  owner: Owner[] = [];
  state: string[] = [];
  openedAs: string[] = [];
  lifecycle: Array<Array<number | string> | null> = [];
  history: Array<Float64Array | number | null> = [];
  /** The view handed out for each slot, if any: detached when the slot is released. */
  private views: Array<FlowView | undefined> = [];

  /** A slot for a new flow; the caller writes every column. */
  alloc(): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.used === this.capacity) this.grow();
      slot = this.used++;
    }
    this.num[slot * NUM_STRIDE + SERIAL] = this.nextSerial++;
    return slot;
  }

  /** The flow left: a view of it keeps its values (detached), the slot is reused. */
  release(slot: number): void {
    const v = this.views[slot];
    if (v !== undefined) {
      v.detach();
      this.views[slot] = undefined;
    }
    this.num[slot * NUM_STRIDE + SERIAL] = 0;
    // References let go, so the arrays do not keep what the flow held.
    this.owner[slot] = undefined as unknown as Owner;
    this.lifecycle[slot] = null;
    this.history[slot] = null;
    this.free.push(slot);
  }

  /** The slot's view (the same object for as long as the flow is in the slot). */
  view(slot: number): FlowView {
    let v = this.views[slot];
    if (v === undefined) {
      v = new FlowView(this, slot);
      this.views[slot] = v;
    }
    return v;
  }

  /** A view of the slot to read at once and not keep: the slot's own view if one was
   * handed out, else one object re-pointed at each call (onFlowDone of a flow about to
   * leave: a view made for it would be copied out at its release for nobody). */
  transientView(slot: number): FlowView {
    const v = this.views[slot];
    if (v !== undefined) return v;
    const t = (this.transient ??= new FlowView(this, slot));
    t.slot = slot;
    return t;
  }
  private transient: FlowView | null = null;

  private grow(): void {
    const n = this.capacity === 0 ? INITIAL_CAPACITY : Math.ceil(this.capacity * 1.5);
    const num = new Float64Array(n * NUM_STRIDE);
    num.set(this.num);
    this.num = num;
    const int = new Int32Array(n * INT_STRIDE);
    int.set(this.int);
    this.int = int;
    this.capacity = n;
  }
}
