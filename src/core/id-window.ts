// Flow id -> a small whole number (a slot), for the ids a sockscope process holds: the
// kernel numbers flows with one u32 counter, upwards, so the ids held are dense and
// recent. They live in a window [base, base + capacity) of a typed array indexed by
// id & mask, where flows opened close together sit close together; ids below the window
// (long-lived flows the window slid past, a late record) and ids that are not u32 go to a
// Map. A Map of every flow held was a fifth of `live --format jsonl`'s main thread under
// connection churn (an insert, a lookup and a delete per flow in a hash table of half a
// million, each a cache miss), and with 100,000 connections held its table is 3.5 MiB of
// V8's heap where the window is 0.5-1 MiB outside it. Used by the reducer's flow index
// (flow-index.ts) and the live source's open flows (src/live/known-flows.ts).

const MIN_WINDOW = 1 << 10;
/** 16 MB of ring: twice the ids of the fastest churn measured (~64,000 flows/s) held for
 * --format jsonl's 10 s linger. Beyond it, older ids go to the Map. */
const MAX_WINDOW = 1 << 22;

export class IdWindow {
  /** The smallest id the window covers; only grows. Every u32 id in `old` is below it. */
  private base = 0;
  private capacity = MIN_WINDOW;
  private mask = MIN_WINDOW - 1;
  /** value + 1 of the id at id & mask (0: none). */
  private ring = new Int32Array(MIN_WINDOW);
  /** Entries in the ring. */
  private inWindow = 0;
  private readonly old = new Map<number, number>();
  size = 0;

  /** The id's value, or -1. */
  get(id: number): number {
    const off = id - this.base;
    if (off >= 0 && off < this.capacity && id >>> 0 === id) return this.ring[id & this.mask] - 1;
    if (this.old.size === 0) return -1;
    return this.old.get(id) ?? -1;
  }

  /** Adds an id that is not here, with a value >= 0 (below 2^31 - 1). */
  set(id: number, value: number): void {
    if (id >>> 0 !== id) this.old.set(id, value);
    else {
      if (id - this.base >= this.capacity) this.makeRoom(id);
      if (id < this.base) this.old.set(id, value);
      else {
        this.ring[id & this.mask] = value + 1;
        this.inWindow++;
      }
    }
    this.size++;
  }

  /** True when the id was here. */
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

  /** Calls fn(id, value) for each id (the Map's first, then the window's upwards). */
  forEach(fn: (id: number, value: number) => void): void {
    this.old.forEach((v, id) => fn(id, v));
    for (let id = this.base, end = this.base + this.capacity; id < end && id <= 0xffffffff; id++) {
      const v = this.ring[id & this.mask];
      if (v !== 0) fn(id, v - 1);
    }
  }

  /** Ids kept in the Map, and the window's size (tests). */
  get layout(): { old: number; capacity: number } {
    return { old: this.old.size, capacity: this.capacity };
  }

  /** `id` (u32) is at or beyond the window's end: the window moves up to it, the entries
   * it leaves behind going to `old`; or it doubles, when more than half full, or when
   * more than a quarter full and the move would take more than an eighth of the ids it
   * passes (held flows whose ids alternate with ids announced later fill half of it:
   * 100,000 held connections, whose accepted ends the snapshot lists a second after their
   * peer's connect, all went to the Map when only a window more than half full grew). A
   * window less than a quarter full slides whatever it passes: held flows and heavy churn
   * do not grow it to MAX_WINDOW. */
  private makeRoom(id: number): void {
    while (id - this.base >= this.capacity) {
      if (this.inWindow === 0) {
        // Nothing to keep: the window starts a quarter below the id, for records of flows
        // opened a little before it that come after it.
        this.base = id - (this.capacity >> 2);
        return;
      }
      // Slide so that the id sits an eighth below the end: the next slide is an eighth of
      // the window of ids later.
      const newBase = id - this.capacity + (this.capacity >> 3) + 1;
      const stop = Math.min(newBase, this.base + this.capacity);
      if (this.capacity < MAX_WINDOW && (2 * this.inWindow > this.capacity ||
          (4 * this.inWindow > this.capacity && 8 * this.heldBetween(this.base, stop) > stop - this.base))) {
        this.grow();
        continue;
      }
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

  /** Entries for ids in [from, to) (inside the window). */
  private heldBetween(from: number, to: number): number {
    let n = 0;
    for (let k = from; k < to; k++) if (this.ring[k & this.mask] !== 0) n++;
    return n;
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
