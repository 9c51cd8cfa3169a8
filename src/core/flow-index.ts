// Flow id -> flow store slot, for the reducer's flows, iterated in the order they were
// added (opening order), with the part of a Map's interface the reducer and its readers
// use. A Map here was a fifth of `live --format jsonl`'s main thread under connection
// churn: an insert, a lookup and a delete per flow in a hash table of every flow held
// (half a million after ten seconds of churn), each a cache miss. The kernel numbers flows
// with one u32 counter, upwards, so the ids held are dense and recent: they live in a
// window [base, base + capacity) of a typed array indexed by id & mask, where flows opened
// close together sit close together. Ids below the window (long-lived flows the window
// slid past, a late record) and ids that are not u32 go to a Map, as before.
//
// Opening order comes from a list of (slot, serial) pairs appended at each add: an entry
// is live while its slot still holds the flow of that serial (FlowStore releases a slot
// when its flow leaves, see removeFlow in reducer.ts, so delete() need not find it).
import { FLOW_ID, NUM_STRIDE, PAGE_BITS, PAGE_MASK, SERIAL } from './flow-fields';
import type { FlowStore } from './flow-store';

const MIN_WINDOW = 1 << 10;
/** 16 MB of ring: twice the ids of the fastest churn measured (~64,000 flows/s) held for
 * --format jsonl's 10 s linger. Beyond it, older ids go to the Map. */
const MAX_WINDOW = 1 << 22;
const MIN_ORDER = 1 << 10;

export class FlowIndex {
  /** The smallest id the window covers; only grows. Every u32 id in `old` is below it. */
  private base = 0;
  private capacity = MIN_WINDOW;
  private mask = MIN_WINDOW - 1;
  /** slot + 1 of the id at id & mask (0: none). */
  private ring = new Int32Array(MIN_WINDOW);
  /** Entries in the ring. */
  private inWindow = 0;
  private readonly old = new Map<number, number>();
  /** Opening order: orderSlots[i] held the flow of serial orderSerials[i] when added. */
  private orderSlots = new Int32Array(MIN_ORDER);
  private orderSerials = new Float64Array(MIN_ORDER);
  /** Entries before `head` are all dead; entries from `end` on are unused. */
  private head = 0;
  private end = 0;
  size = 0;

  constructor(private readonly store: FlowStore) {}

  get(id: number): number | undefined {
    const off = id - this.base;
    if (off >= 0 && off < this.capacity && id >>> 0 === id) {
      const v = this.ring[id & this.mask];
      return v === 0 ? undefined : v - 1;
    }
    return this.old.size === 0 ? undefined : this.old.get(id);
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Adds an id that is not in the index, for a slot the store just gave its flow. */
  set(id: number, slot: number): this {
    if (id >>> 0 !== id) this.old.set(id, slot);
    else {
      if (id - this.base >= this.capacity) this.makeRoom(id);
      if (id < this.base) this.old.set(id, slot);
      else {
        this.ring[id & this.mask] = slot + 1;
        this.inWindow++;
      }
    }
    this.size++;
    this.append(slot);
    return this;
  }

  delete(id: number): boolean {
    const off = id - this.base;
    if (off >= 0 && off < this.capacity && id >>> 0 === id) {
      const at = id & this.mask;
      if (this.ring[at] === 0) return false;
      this.ring[at] = 0;
      this.inWindow--;
    } else if (!this.old.delete(id)) return false;
    this.size--;
    return true;
  }

  /** Calls fn(slot, id) for each flow in opening order. */
  forEach(fn: (slot: number, id: number) => void): void {
    const pages = this.store.num;
    this.skipDead();
    const slots = this.orderSlots;
    const serials = this.orderSerials;
    for (let i = this.head; i < this.end; i++) {
      const slot = slots[i];
      const num = pages[slot >> PAGE_BITS];
      const o = (slot & PAGE_MASK) * NUM_STRIDE;
      if (num[o + SERIAL] === serials[i]) fn(slot, this.store.numAt(slot, FLOW_ID));
    }
  }

  *values(): IterableIterator<number> {
    this.skipDead();
    for (let i = this.head; i < this.end; i++) if (this.live(i)) yield this.orderSlots[i];
  }

  *keys(): IterableIterator<number> {
    for (const slot of this.values()) yield this.store.numAt(slot, FLOW_ID);
  }

  *entries(): IterableIterator<[number, number]> {
    for (const slot of this.values()) yield [this.store.numAt(slot, FLOW_ID), slot];
  }

  [Symbol.iterator](): IterableIterator<[number, number]> {
    return this.entries();
  }

  private live(i: number): boolean {
    return this.store.numAt(this.orderSlots[i], SERIAL) === this.orderSerials[i];
  }

  /** Moves `head` past the dead entries at the front (the oldest flows leave first under
   * churn), so that a walk of the oldest few (the reducer's evictOne) does not pass them
   * again each time. */
  private skipDead(): void {
    while (this.head < this.end && !this.live(this.head)) this.head++;
  }

  private append(slot: number): void {
    if (this.end === this.orderSlots.length) this.compactOrder();
    this.orderSlots[this.end] = slot;
    this.orderSerials[this.end++] = this.store.numAt(slot, SERIAL);
  }

  /** The order list is full: its live entries moved to the front, into a list twice as
   * large if they fill more than half of it. */
  private compactOrder(): void {
    const slots = this.orderSlots;
    const serials = this.orderSerials;
    let to = slots;
    let toSerials = serials;
    if (2 * this.size > slots.length) {
      to = new Int32Array(2 * slots.length);
      toSerials = new Float64Array(2 * slots.length);
    }
    let kept = 0;
    for (let i = this.head; i < this.end; i++) {
      if (!this.live(i)) continue;
      to[kept] = slots[i];
      toSerials[kept++] = serials[i];
    }
    this.orderSlots = to;
    this.orderSerials = toSerials;
    this.head = 0;
    this.end = kept;
  }

  /** `id` (u32) is at or beyond the window's end: the window moves up to it, the entries
   * it leaves behind going to `old`, or doubles when it is more than half full (the ids
   * held span more than half of it: sliding would move live flows to the Map). */
  private makeRoom(id: number): void {
    while (id - this.base >= this.capacity) {
      if (this.inWindow === 0) {
        // Nothing to keep: the window starts a quarter below the id, for records of flows
        // opened a little before it that come after it.
        this.base = id - (this.capacity >> 2);
        return;
      }
      if (2 * this.inWindow > this.capacity && this.capacity < MAX_WINDOW) {
        this.grow();
        continue;
      }
      // Slide so that the id sits an eighth below the end: the next slide is an eighth of
      // the window of ids later.
      const newBase = id - this.capacity + (this.capacity >> 3) + 1;
      const stop = Math.min(newBase, this.base + this.capacity);
      for (let k = this.base; k < stop && this.inWindow > 0; k++) {
        const at = k & this.mask;
        const v = this.ring[at];
        if (v === 0) continue;
        this.old.set(k, v - 1);
        this.ring[at] = 0;
        this.inWindow--;
      }
      this.base = newBase;
    }
  }

  private grow(): void {
    const capacity = 2 * this.capacity;
    const mask = capacity - 1;
    const ring = new Int32Array(capacity);
    for (let k = this.base, n = this.base + this.capacity; k < n; k++) {
      const v = this.ring[k & this.mask];
      if (v !== 0) ring[k & mask] = v;
    }
    this.ring = ring;
    this.capacity = capacity;
    this.mask = mask;
  }
}
