// A list of flow store slots with the serials of the flows in them (FlowStore: an entry
// whose slot holds another serial, or none, is stale), in typed arrays that keep their
// room. The reducer's closed and active lists were arrays of numbers: emptied by a tick
// (V8 then trims their backing store) and regrown by copying, or sliced to drop a head,
// they were most of what the reducer allocated under connection churn (large arrays,
// collected only by full GCs).
const MIN_ROOM = 1024;

export class SlotList {
  slots = new Int32Array(MIN_ROOM);
  serials = new Float64Array(MIN_ROOM);
  /** Entries before `head` are done with (a queue's consumed ones); `end` is one past the last. */
  head = 0;
  end = 0;

  push(slot: number, serial: number): void {
    if (this.end === this.slots.length) this.makeRoom();
    this.slots[this.end] = slot;
    this.serials[this.end++] = serial;
  }

  /** Full: the entries from `head` on move to the front, into arrays twice as large when
   * they fill more than half of these. */
  private makeRoom(): void {
    const n = this.end - this.head;
    if (2 * n <= this.slots.length) {
      this.slots.copyWithin(0, this.head, this.end);
      this.serials.copyWithin(0, this.head, this.end);
    } else {
      const slots = new Int32Array(2 * this.slots.length);
      const serials = new Float64Array(2 * this.slots.length);
      slots.set(this.slots.subarray(this.head, this.end));
      serials.set(this.serials.subarray(this.head, this.end));
      this.slots = slots;
      this.serials = serials;
    }
    this.head = 0;
    this.end = n;
  }
}
