// A stack of whole numbers (free slots, free codes) in a typed array that keeps its room.
// A JS array used as a stack is trimmed by V8 when pops empty it by half, then regrown by
// copying when pushes fill it again: under connection churn the flow store's free slots
// swing by thousands every interval (a tick releases the lingered-out flows, new ones take
// them), and that regrowing was ~15% of what `live --format jsonl` allocated.
const MIN_ROOM = 256;

export class IntStack {
  private items = new Int32Array(MIN_ROOM);
  private n = 0;

  get length(): number {
    return this.n;
  }

  push(v: number): void {
    if (this.n === this.items.length) {
      const items = new Int32Array(2 * this.items.length);
      items.set(this.items);
      this.items = items;
    }
    this.items[this.n++] = v;
  }

  /** The last pushed, or -1 when empty (the stacks here hold slots and codes, >= 0). */
  pop(): number {
    return this.n === 0 ? -1 : this.items[--this.n];
  }
}
