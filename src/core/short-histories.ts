// The rate histories of young flows, in slots of one shared Float64Array (owned by the
// reducer's state; read through rateHistory() in reducer.ts). Under connection churn
// nearly every flow moves in the one or two intervals it lives: an array of its own each
// was a sizeable part of what a replay kept alive and the garbage collector copied, while
// a slot here costs 64 bytes the collector never visits.

/** Samples ([tx, rx] pairs) a slot holds; older flows get a full ring of their own. */
export const SHORT_HISTORY = 4;
const SLOT = 2 * SHORT_HISTORY;

/** Slots the pool starts with, and shrinks back to once none is in use. Few: a state is
 * created per replay (and per pass of the replay benchmark), and zeroing 1,024 slots
 * (64 KiB) was a tenth of the reducer's time on a small recording (demo.ssrec); `take`
 * doubles the array as flows need more. */
const INITIAL_SLOTS = 32;

export class ShortHistories {
  private data = new Float64Array(SLOT * INITIAL_SLOTS);
  /** Slots given back, reused before new ones. */
  private free: number[] = [];
  /** Slots handed out from the start of `data`, free or not. */
  private used = 0;
  /** Slots handed out and not given back. */
  private live = 0;

  /** A slot of zeros. */
  take(): number {
    this.live++;
    const reused = this.free.pop();
    if (reused !== undefined) {
      this.data.fill(0, reused * SLOT, reused * SLOT + SLOT);
      return reused;
    }
    if ((this.used + 1) * SLOT > this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    return this.used++;
  }

  /** Once no slot is in use, a pool that grew (100,000 held connections that each sent
   * once) starts over small: the flows' samples have left the window, and the grown
   * array would otherwise stay resident for the rest of the session. */
  release(slot: number): void {
    this.live--;
    if (this.live === 0 && this.data.length > SLOT * INITIAL_SLOTS) {
      this.data = new Float64Array(SLOT * INITIAL_SLOTS);
      this.free = [];
      this.used = 0;
      return;
    }
    this.free.push(slot);
  }

  /** Bytes held by the pool's array (tests). */
  get capacityBytes(): number {
    return this.data.byteLength;
  }

  /** Stores the sample `age` (0 .. SHORT_HISTORY - 1) of `slot`. */
  set(slot: number, age: number, tx: number, rx: number): void {
    const i = slot * SLOT + 2 * age;
    this.data[i] = tx;
    this.data[i + 1] = rx;
  }

  tx(slot: number, age: number): number {
    return this.data[slot * SLOT + 2 * age];
  }

  rx(slot: number, age: number): number {
    return this.data[slot * SLOT + 2 * age + 1];
  }
}
