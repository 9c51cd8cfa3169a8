// Flow id -> flow store slot, for the reducer's flows, iterated in the order they were
// added (opening order), with the part of a Map's interface the reducer and its readers
// use. The ids go to a window of a typed array (id-window.ts), not a Map: under connection
// churn a Map's insert, lookup and delete per flow were a fifth of `live --format jsonl`'s
// main thread.
//
// Opening order is a list linked through the flows' rows in the store (NEXT and PREV in
// the int row, flow-fields.ts): 8 bytes a flow, where a list of (slot, serial) entries
// appended at each add, dead entries skipped and compacted away, was 12 bytes an entry
// with room to double (3 MiB for 100,000 held flows).
import { FLOW_ID, INT_STRIDE, NEXT, NUM_STRIDE, PAGE_BITS, PAGE_MASK, PREV } from './flow-fields';
import type { FlowStore } from './flow-store';
import { IdWindow } from './id-window';

/** NEXT of a slot whose flow the store holds outside the index (CoreOptions.listBriefs). */
export const UNLISTED = -2;

export class FlowIndex {
  private readonly ids = new IdWindow();
  /** The first and last slots in opening order (-1: none). */
  private head = -1;
  private tail = -1;

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
    const int = this.store.int;
    const q = (slot & PAGE_MASK) * INT_STRIDE;
    const row = int[slot >> PAGE_BITS];
    row[q + PREV] = this.tail;
    row[q + NEXT] = -1;
    if (this.tail === -1) this.head = slot;
    else int[this.tail >> PAGE_BITS][(this.tail & PAGE_MASK) * INT_STRIDE + NEXT] = slot;
    this.tail = slot;
    return this;
  }

  /** Marks a slot the store just gave a flow that stays out of the index. */
  setApart(slot: number): void {
    this.store.int[slot >> PAGE_BITS][(slot & PAGE_MASK) * INT_STRIDE + NEXT] = UNLISTED;
  }

  /** Whether the flow in the slot is in the index (not set apart). */
  lists(slot: number): boolean {
    return this.store.int[slot >> PAGE_BITS][(slot & PAGE_MASK) * INT_STRIDE + NEXT] !== UNLISTED;
  }

  /** Takes the id out (before the store releases its slot). */
  delete(id: number): boolean {
    const slot = this.ids.get(id);
    if (slot < 0) return false;
    this.ids.delete(id);
    const int = this.store.int;
    const row = int[slot >> PAGE_BITS];
    const q = (slot & PAGE_MASK) * INT_STRIDE;
    const prev = row[q + PREV];
    const next = row[q + NEXT];
    if (prev === -1) this.head = next;
    else int[prev >> PAGE_BITS][(prev & PAGE_MASK) * INT_STRIDE + NEXT] = next;
    if (next === -1) this.tail = prev;
    else int[next >> PAGE_BITS][(next & PAGE_MASK) * INT_STRIDE + PREV] = prev;
    return true;
  }

  /** The id window's layout (tests). */
  get layout(): { old: number; capacity: number } {
    return this.ids.layout;
  }

  /** The slot of the flow opened after the one in `slot` (-1: none), for a walk from a
   * known flow on (the TUI deriver's new flows, select/flow-snapshot.ts). */
  nextOf(slot: number): number {
    return this.store.int[slot >> PAGE_BITS][(slot & PAGE_MASK) * INT_STRIDE + NEXT];
  }

  /** Calls fn(slot, id) for each flow in opening order. */
  forEach(fn: (slot: number, id: number) => void): void {
    const int = this.store.int;
    const num = this.store.num;
    for (let slot = this.head; slot !== -1;) {
      const page = slot >> PAGE_BITS;
      const row = slot & PAGE_MASK;
      const next = int[page][row * INT_STRIDE + NEXT];
      fn(slot, num[page][row * NUM_STRIDE + FLOW_ID]);
      slot = next;
    }
  }

  *values(): IterableIterator<number> {
    const int = this.store.int;
    for (let slot = this.head; slot !== -1;) {
      const next = int[slot >> PAGE_BITS][(slot & PAGE_MASK) * INT_STRIDE + NEXT];
      yield slot;
      slot = next;
    }
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
}
