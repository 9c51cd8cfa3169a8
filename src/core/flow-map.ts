// state.flows: the reducer's flows by id, read like a ReadonlyMap<number, Flow>, in the
// order they were opened. Behind it, ids map to slots of the flow store (flow-store.ts);
// a flow's view (flow-view.ts) is made the first time a reader asks for it.
import { FlowIndex } from './flow-index';
import type { FlowStore } from './flow-store';
import type { Flow } from './state';

export class FlowMap {
  /** Flow id -> slot, in opening order (written by the reducer only). */
  readonly slots: FlowIndex;

  constructor(readonly store: FlowStore) {
    this.slots = new FlowIndex(store);
  }

  get size(): number {
    return this.slots.size;
  }

  has(flowId: number): boolean {
    return this.slots.has(flowId);
  }

  get(flowId: number): Flow | undefined {
    const slot = this.slots.get(flowId);
    return slot === undefined ? undefined : this.store.view(slot);
  }

  keys(): IterableIterator<number> {
    return this.slots.keys();
  }

  *values(): IterableIterator<Flow> {
    const store = this.store;
    for (const slot of this.slots.values()) yield store.view(slot);
  }

  *entries(): IterableIterator<[number, Flow]> {
    const store = this.store;
    for (const [id, slot] of this.slots) yield [id, store.view(slot)];
  }

  [Symbol.iterator](): IterableIterator<[number, Flow]> {
    return this.entries();
  }

  /** The walk without an iterator result or entry pair per flow (the TUI's per-interval
   * derive over every flow, src/core/select/flow-snapshot.ts). */
  forEach(fn: (flow: Flow, flowId: number, map: FlowMap) => void): void {
    const store = this.store;
    this.slots.forEach((slot, id) => fn(store.view(slot), id, this));
  }
}
