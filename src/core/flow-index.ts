// Flow id -> flow store slot, for the reducer's flows, iterated in the order they were
// added (opening order), with the part of a Map's interface the reducer and its readers
// use. The ids go to a window of a typed array (id-window.ts), not a Map: under connection
// churn a Map's insert, lookup and delete per flow were a fifth of `live --format jsonl`'s
// main thread.
//
// Opening order comes from a list of (slot, serial) pairs appended at each add: an entry
// is live while its slot still holds the flow of that serial (FlowStore releases a slot
// when its flow leaves, see removeFlow in reducer.ts, so delete() need not find it).
import { FLOW_ID, NUM_STRIDE, PAGE_BITS, PAGE_MASK, SERIAL } from './flow-fields';
import type { FlowStore } from './flow-store';
import { IdWindow } from './id-window';

const MIN_ORDER = 1 << 10;

export class FlowIndex {
  private readonly ids = new IdWindow();
  /** Opening order: orderSlots[i] held the flow of serial orderSerials[i] when added. */
  private orderSlots = new Int32Array(MIN_ORDER);
  private orderSerials = new Float64Array(MIN_ORDER);
  /** Entries before `head` are all dead; entries from `end` on are unused. */
  private head = 0;
  private end = 0;

  constructor(private readonly store: FlowStore) {}

  get size(): number {
    return this.ids.size;
  }

  get(id: number): number | undefined {
    const slot = this.ids.get(id);
    return slot < 0 ? undefined : slot;
  }

  has(id: number): boolean {
    return this.ids.get(id) >= 0;
  }

  /** Adds an id that is not in the index, for a slot the store just gave its flow. */
  set(id: number, slot: number): this {
    this.ids.set(id, slot);
    this.append(slot);
    return this;
  }

  delete(id: number): boolean {
    return this.ids.delete(id);
  }

  /** The id window's layout (tests). */
  get layout(): { old: number; capacity: number } {
    return this.ids.layout;
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
}
