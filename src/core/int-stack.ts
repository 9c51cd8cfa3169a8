// A stack of whole numbers (slots, positions) in an Int32Array that keeps its room. The
// flow store's free and held slots and the TUI table's positions of departed flows were
// JS arrays, each emptied once an interval (held: length = 0; free: popped empty) and
// refilled with ~25,000 entries under connection churn: V8 trims an array's backing store
// as it empties and copies it as it regrows, a new one for each growth (past 16k entries
// in the large-object space), which was ~110 bytes of garbage per connection in a
// sampling heap profile of the TUI under churn, a fifth of what it allocated.
export class IntStack {
  private items = new Int32Array(64);
  length = 0;

  push(v: number): void {
    if (this.length === this.items.length) {
      const items = new Int32Array(2 * this.items.length);
      items.set(this.items);
      this.items = items;
    }
    this.items[this.length++] = v;
  }

  /** The last entry taken off, or -1 when empty (entries are >= 0). */
  pop(): number {
    return this.length === 0 ? -1 : this.items[--this.length];
  }

  at(i: number): number {
    return this.items[i];
  }

  clear(): void {
    this.length = 0;
  }

  /** Empty, and back to the room it started with (a pool that starts over small). */
  reset(): void {
    this.items = new Int32Array(64);
    this.length = 0;
  }
}
