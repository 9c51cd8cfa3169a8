// The reducer's flows as rows in pages of typed arrays, indexed by a slot: numbers unboxed
// and never visited by the garbage collector, strings and shared objects in a plain array
// per page. A flow object of ~30 fields (with boxed doubles for its times and cookie) was
// ~290 bytes of heap each, and under connection churn each lived its linger out in the old
// generation; a slot is 152 bytes of numbers and 72 of references. A flow's numbers are
// one row (not one array per field) so that an event touches one or two cache lines of
// it. Pages of PAGE_SLOTS slots (flow-fields.ts), not one array grown by copying: 100,000
// flows leave no more than a page unused, and growing never holds two copies at once; the
// first page starts small and doubles (a replay of a small recording creates a state per
// pass). Owned and written only by the reducer (reducer.ts); readers get a FlowView
// (flow-view.ts) per slot, with the Flow interface.
import { INT_STRIDE, NUM_STRIDE, PAGE_BITS, PAGE_MASK, PAGE_SLOTS, REF_STRIDE, R_HISTORY, R_LIFECYCLE, R_OWNER, SERIAL } from './flow-fields';
import type { Owner } from '../events/types';
import { FlowView } from './flow-view';
import { RateRings } from './rate-rings';

/** Slots the first page starts with. */
const FIRST_PAGE_SLOTS = 64;

export class FlowStore {
  /** Slots the pages have room for. */
  capacity = 0;
  /** Slots handed out from the start, free or not. */
  private used = 0;
  /** Slots given back, reused before new ones. */
  private free: number[] = [];
  /** Slots given back while a reader still shows them (holdReleased), or null. */
  private held: number[] | null = null;
  /** Per page, rows of NUM_STRIDE doubles (flow-fields.ts). SERIAL is the serial of the
   * flow in the slot (0: free): an entry of the reducer's lists that names a slot and a
   * serial is stale once the slot's flow left (or another took it). */
  readonly num: Float64Array[] = [];
  /** Per page, rows of INT_STRIDE int32s. */
  readonly int: Int32Array[] = [];
  /** Per page, rows of REF_STRIDE references (strings, the owner, lifecycle, history). */
  readonly refs: unknown[][] = [];
  private nextSerial = 1;
  /** Bumped by the reducer whenever it writes a flow's counters or changes its rates: the
   * TUI's table reads the numbers from here and re-sorts only when this moved
   * (select/flow-snapshot.ts), without comparing every flow's numbers each interval. */
  valueWrites = 0;
  /** The view handed out for each slot, if any: detached when the slot is released. */
  private views: Array<FlowView | undefined> = [];
  private transient: FlowView | null = null;
  /** Told of each slot about to be released, before its values go: a reader that keeps
   * slots instead of views (the TUI's table, select/flow-table.ts) copies what it shows. */
  private releaseListeners: Array<(slot: number) => void> = [];
  /** Full rate histories: a flow's R_HISTORY is -1 - its ring when it has one (a short
   * history's slot, short-histories.ts, when it is >= 0; null when it has none). */
  readonly rings: RateRings;

  /** `historyLength`: samples in a full rate history (CoreOptions). */
  constructor(historyLength: number) {
    this.rings = new RateRings(2 * historyLength);
  }

  /** A slot for a new flow; the caller writes every field. */
  alloc(): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.used === this.capacity) this.grow();
      slot = this.used++;
    }
    this.num[slot >> PAGE_BITS][(slot & PAGE_MASK) * NUM_STRIDE + SERIAL] = this.nextSerial++;
    return slot;
  }

  /** The flow left: a view of it keeps its values (detached), the slot is reused (at
   * once, or once `recycleHeld` says the held slots' readers moved on). */
  release(slot: number): void {
    const listeners = this.releaseListeners;
    for (let i = 0; i < listeners.length; i++) listeners[i](slot);
    const v = this.views[slot];
    if (v !== undefined) {
      v.detach();
      this.views[slot] = undefined;
    }
    const h = this.history(slot);
    if (h !== null && h < 0) this.rings.release(-1 - h);
    this.num[slot >> PAGE_BITS][(slot & PAGE_MASK) * NUM_STRIDE + SERIAL] = 0;
    // References let go, so the page does not keep what the flow held.
    const refs = this.refs[slot >> PAGE_BITS];
    const r = (slot & PAGE_MASK) * REF_STRIDE;
    refs[r + R_LIFECYCLE] = null;
    refs[r + R_HISTORY] = null;
    if (this.held !== null) {
      // Its ids, addresses, owner and numbers stay readable until recycleHeld.
      this.held.push(slot);
      return;
    }
    refs[r + R_OWNER] = undefined;
    this.free.push(slot);
  }

  /** From now on (true) released slots are held, not reused, until `recycleHeld`: a
   * reader that shows flows by slot (the TUI's table until its next derive,
   * select/flow-snapshot.ts) then reads a flow that left where it was, instead of a copy
   * of each taken as it leaves (under connection churn tens of thousands a second, each
   * kept until the next frame: V8's young generation, then its old one). False: the held
   * slots are reused again, and later releases at once. */
  holdReleased(hold: boolean): void {
    if (hold) this.held ??= [];
    else {
      this.recycleHeld();
      this.held = null;
    }
  }

  /** The held slots' readers moved on: the slots are reused from now on. */
  recycleHeld(): void {
    const held = this.held;
    if (held === null) return;
    for (let i = 0; i < held.length; i++) {
      const slot = held[i];
      this.refs[slot >> PAGE_BITS][(slot & PAGE_MASK) * REF_STRIDE + R_OWNER] = undefined;
      this.free.push(slot);
    }
    held.length = 0;
  }

  /** Whether released slots are held (holdReleased). */
  get holding(): boolean {
    return this.held !== null;
  }

  // Reads and writes of one field, for the reducer's paths that touch one or two (the
  // hot loops index the pages themselves).
  numAt(slot: number, field: number): number {
    return this.num[slot >> PAGE_BITS][(slot & PAGE_MASK) * NUM_STRIDE + field];
  }

  setNum(slot: number, field: number, value: number): void {
    this.num[slot >> PAGE_BITS][(slot & PAGE_MASK) * NUM_STRIDE + field] = value;
  }

  intAt(slot: number, field: number): number {
    return this.int[slot >> PAGE_BITS][(slot & PAGE_MASK) * INT_STRIDE + field];
  }

  setInt(slot: number, field: number, value: number): void {
    this.int[slot >> PAGE_BITS][(slot & PAGE_MASK) * INT_STRIDE + field] = value;
  }

  refAt(slot: number, field: number): unknown {
    return this.refs[slot >> PAGE_BITS][(slot & PAGE_MASK) * REF_STRIDE + field];
  }

  setRef(slot: number, field: number, value: unknown): void {
    this.refs[slot >> PAGE_BITS][(slot & PAGE_MASK) * REF_STRIDE + field] = value;
  }

  /** The flow's rate history as kept here: see `rings`. */
  history(slot: number): number | null {
    return this.refAt(slot, R_HISTORY) as number | null;
  }

  owner(slot: number): Owner {
    return this.refAt(slot, R_OWNER) as Owner;
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

  /** Calls `fn` with each slot about to be released (its values still in place); returns
   * the function that stops it. */
  onRelease(fn: (slot: number) => void): () => void {
    this.releaseListeners.push(fn);
    return () => {
      this.releaseListeners = this.releaseListeners.filter((f) => f !== fn);
    };
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

  private grow(): void {
    const pages = this.num.length;
    if (pages === 1 && this.capacity < PAGE_SLOTS) {
      // The first page doubles until it is a full page.
      const n = Math.min(PAGE_SLOTS, this.capacity * 2);
      const num = new Float64Array(n * NUM_STRIDE);
      num.set(this.num[0]);
      this.num[0] = num;
      const int = new Int32Array(n * INT_STRIDE);
      int.set(this.int[0]);
      this.int[0] = int;
      const refs = this.refs[0];
      refs.length = n * REF_STRIDE;
      this.capacity = n;
      return;
    }
    const n = pages === 0 ? FIRST_PAGE_SLOTS : PAGE_SLOTS;
    this.num.push(new Float64Array(n * NUM_STRIDE));
    this.int.push(new Int32Array(n * INT_STRIDE));
    this.refs.push(new Array<unknown>(n * REF_STRIDE).fill(null));
    this.capacity += n;
  }
}
