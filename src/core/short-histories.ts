// The rate histories of young flows, in slots of one shared Float64Array (owned by the
// reducer's state; read through rateHistory() in reducer.ts). Under connection churn
// nearly every flow moves in the one or two intervals it lives: an array of its own each
// was a sizeable part of what a replay kept alive and the garbage collector copied, while
// a slot here costs 64 bytes the collector never visits.

/** Samples ([tx, rx] pairs) a slot holds; older flows get a full ring of their own. */
export const SHORT_HISTORY = 4;
const SLOT = 2 * SHORT_HISTORY;

/** Slots made at first: a state is created per replay (and per pass of the replay
 * benchmark), and zeroing 1,024 slots (64 KiB) was a tenth of the reducer's time on a
 * small recording (demo.ssrec); `take` doubles the array as flows need more. */
const FIRST_SLOTS = 32;

export class ShortHistories {
  private data = new Float64Array(SLOT * FIRST_SLOTS);
  /** Slots given back, reused before new ones. */
  private free: number[] = [];
  /** Slots handed out from the start of `data`, free or not. */
  private used = 0;

  /** A slot of zeros. */
  take(): number {
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

  release(slot: number): void {
    this.free.push(slot);
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
