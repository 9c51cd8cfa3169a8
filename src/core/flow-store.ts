// The reducer's flows as rows in pages of typed arrays, indexed by a slot: numbers unboxed
// and never visited by the garbage collector. A flow object of ~30 fields (with boxed
// doubles for its times and cookie) was ~290 bytes of heap each, and under connection
// churn each lived its linger out in the old generation; a slot is 128 bytes of doubles and
// 60 of int32s. Its strings and objects are codes in the int row too: words (protocol,
// direction, states) as their index in a vocabulary, addresses and owners as codes of
// values kept once for all the flows that share them (shared-values.ts), a lifecycle as its
// index in a list; a row of 9 references per flow in a JS array was 72 bytes each (7 MiB
// of V8's old generation at 100,000 flows, visited by every full GC). A flow's numbers are
// one row (not one array per field) so that an event touches one or two cache lines of
// it. Pages of PAGE_SLOTS slots (flow-fields.ts), not one array grown by copying: 100,000
// flows leave no more than a page unused, and growing never holds two copies at once; the
// first page starts small and doubles (a replay of a small recording creates a state per
// pass). Owned and written only by the reducer (reducer.ts); readers get a FlowView
// (flow-view.ts) per slot, with the Flow interface.
import {
  DIRECTION, HISTORY, INT_STRIDE, LADDR, LIFECYCLE, NO_HISTORY, NUM_STRIDE, OPENED_AS, OWNER, PAGE_BITS, PAGE_MASK, PAGE_SLOTS, PROTO, RADDR,
  SERIAL, STATE,
} from './flow-fields';
import type { Owner } from '../events/types';
import { FlowView } from './flow-view';
import { IntStack } from './int-stack';
import { keep } from './intern';
import { LIFECYCLE_WORDS, lifecycleCode } from './lifecycle';
import { RateRings } from './rate-rings';
import { SharedValues } from './shared-values';

/** Slots the first page starts with. */
const FIRST_PAGE_SLOTS = 64;

export class FlowStore {
  /** Slots the pages have room for. */
  capacity = 0;
  /** Slots handed out from the start, free or not. */
  private used = 0;
  /** Slots given back, reused before new ones. */
  private readonly free = new IntStack();
  /** Slots given back while a reader still shows them (holdReleased), or null. */
  private held: number[] | null = null;
  /** Per page, rows of NUM_STRIDE doubles (flow-fields.ts). SERIAL is the serial of the
   * flow in the slot (0: free): an entry of the reducer's lists that names a slot and a
   * serial is stale once the slot's flow left (or another took it). */
  readonly num: Float64Array[] = [];
  /** Per page, rows of INT_STRIDE int32s (with the codes of the flow's strings and objects). */
  readonly int: Int32Array[] = [];
  /** Local and remote addresses by code (LADDR, RADDR). */
  readonly addresses = new SharedValues<string>(keep);
  /** Owners by code (OWNER): the reducer's shared owner objects. */
  readonly owners = new SharedValues<Owner>();
  /** Words beyond the vocabulary of lifecycle.ts (LIFECYCLE_WORDS, capped): a word code
   * c <= -2 is rareWords' code -2 - c. Never met in practice. */
  readonly rareWords = new SharedValues<string>(keep);
  /** Lifecycles by code (LIFECYCLE), and the codes free for reuse. */
  readonly lifecycles: Array<ReadonlyArray<number | string> | null> = [];
  private freeLifecycles: number[] = [];
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
  /** Full rate histories: a flow's HISTORY is -1 - its ring when it has one (a short
   * history's slot, short-histories.ts, when it is >= 0; NO_HISTORY when it has none). */
  readonly rings: RateRings;

  /** `historyLength`: samples in a full rate history (CoreOptions). */
  constructor(historyLength: number) {
    this.rings = new RateRings(2 * historyLength);
  }

  /** A slot for a new flow; the caller writes every field. */
  alloc(): number {
    let slot = this.free.pop();
    if (slot < 0) {
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
    const int = this.int[slot >> PAGE_BITS];
    const q = (slot & PAGE_MASK) * INT_STRIDE;
    const h = int[q + HISTORY];
    if (h < 0 && h !== NO_HISTORY) this.rings.release(-1 - h);
    int[q + HISTORY] = NO_HISTORY;
    this.num[slot >> PAGE_BITS][(slot & PAGE_MASK) * NUM_STRIDE + SERIAL] = 0;
    this.setLifecycle(slot, null);
    if (this.held !== null) {
      // Its ids, addresses, owner and numbers stay readable until recycleHeld.
      this.held.push(slot);
      return;
    }
    this.dropShared(slot);
    this.free.push(slot);
  }

  /** The values the slot's flow shared with others (addresses, owner, rare words) are
   * one flow less used. */
  private dropShared(slot: number): void {
    const int = this.int[slot >> PAGE_BITS];
    const q = (slot & PAGE_MASK) * INT_STRIDE;
    this.addresses.drop(int[q + LADDR]);
    this.addresses.drop(int[q + RADDR]);
    this.owners.drop(int[q + OWNER]);
    for (let f = PROTO; f <= OPENED_AS; f++) if (int[q + f] < -1) this.rareWords.drop(-2 - int[q + f]);
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
      this.dropShared(slot);
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

  /** The flow's rate history as kept here: see `rings`. */
  history(slot: number): number | null {
    const h = this.intAt(slot, HISTORY);
    return h === NO_HISTORY ? null : h;
  }

  setHistory(slot: number, h: number | null): void {
    this.setInt(slot, HISTORY, h === null ? NO_HISTORY : h);
  }

  owner(slot: number): Owner {
    return this.owners.values[this.intAt(slot, OWNER)] as Owner;
  }

  /** The flow takes `owner` (its previous one, if `had`, let go). */
  setOwner(slot: number, owner: Owner, had = true): void {
    const code = this.owners.take(owner);
    if (had) this.owners.drop(this.intAt(slot, OWNER));
    this.setInt(slot, OWNER, code);
  }

  laddr(slot: number): string {
    return this.addresses.values[this.intAt(slot, LADDR)] as string;
  }

  raddr(slot: number): string {
    return this.addresses.values[this.intAt(slot, RADDR)] as string;
  }

  /** The word at `field` (PROTO, DIRECTION, STATE, OPENED_AS). */
  word(slot: number, field: number): string {
    return this.wordOf(this.intAt(slot, field));
  }

  /** The word of a word code. */
  wordOf(code: number): string {
    return code >= 0 ? LIFECYCLE_WORDS[code] : (this.rareWords.values[-2 - code] as string);
  }

  /** Writes `w` at `field` (PROTO, DIRECTION, STATE, OPENED_AS); `had`: the field held a
   * word before (let go, if a rare one). */
  setWord(slot: number, field: number, w: string, had = true): void {
    const code = this.wordCode(w);
    const int = this.int[slot >> PAGE_BITS];
    const q = (slot & PAGE_MASK) * INT_STRIDE + field;
    if (had && int[q] < -1) this.rareWords.drop(-2 - int[q]);
    int[q] = code;
  }

  /** Writes the code of a word of the vocabulary (a code >= 0) at `field`. */
  setWordCode(slot: number, field: number, code: number): void {
    const int = this.int[slot >> PAGE_BITS];
    const q = (slot & PAGE_MASK) * INT_STRIDE + field;
    if (int[q] < -1) this.rareWords.drop(-2 - int[q]);
    int[q] = code;
  }

  /** A word's code: its index in LIFECYCLE_WORDS, else (a vocabulary that is full) a rare
   * word's code below -1, counted once more (setWord lets it go). */
  wordCode(w: string): number {
    const c = lifecycleCode(w);
    return typeof c === 'number' ? c : -2 - this.rareWords.take(c);
  }

  lifecycle(slot: number): ReadonlyArray<number | string> | null {
    const c = this.intAt(slot, LIFECYCLE);
    return c < 0 ? null : this.lifecycles[c];
  }

  setLifecycle(slot: number, l: ReadonlyArray<number | string> | null): void {
    const int = this.int[slot >> PAGE_BITS];
    const q = (slot & PAGE_MASK) * INT_STRIDE + LIFECYCLE;
    const c = int[q];
    if (l === null) {
      if (c < 0) return;
      this.lifecycles[c] = null;
      this.freeLifecycles.push(c);
      int[q] = -1;
    } else if (c >= 0) this.lifecycles[c] = l;
    else {
      const n = this.freeLifecycles.pop() ?? this.lifecycles.length;
      this.lifecycles[n] = l;
      int[q] = n;
    }
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
      this.capacity = n;
      return;
    }
    const n = pages === 0 ? FIRST_PAGE_SLOTS : PAGE_SLOTS;
    this.num.push(new Float64Array(n * NUM_STRIDE));
    this.int.push(new Int32Array(n * INT_STRIDE));
    this.capacity += n;
  }
}
