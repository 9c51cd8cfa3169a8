// The rate histories of young flows, in slots of one shared Float64Array (owned by the
// reducer's state; read through rateHistory() in reducer.ts). Under connection churn
// nearly every flow moves in the one or two intervals it lives: an array of its own each
// was a sizeable part of what a replay kept alive and the garbage collector copied, while
// a slot here costs 64 bytes the collector never visits.
import { IntStack } from './int-stack';

/** Samples ([tx, rx] pairs) a slot holds; older flows get a full ring of their own. */
export const SHORT_HISTORY = 4;
const SLOT = 2 * SHORT_HISTORY;

/** Slots the pool starts with, and shrinks back to once none is in use. Few: a state is
 * created per replay (and per pass of the replay benchmark), and zeroing 1,024 slots
 * (64 KiB) was a tenth of the reducer's time on a small recording (demo.ssrec); `take`
 * doubles the array as flows need more. */
const INITIAL_SLOTS = 32;

export class ShortHistories {
  /** Replaced through ArrayBuffer.transfer, which frees the old memory at once: an array
   * merely dropped stayed resident until V8's next full GC, which an idle TUI may not run
   * for minutes (the 8 MiB pool of the footprint benchmark's 100,000 held flows, still
   * counted at the end of its hold). A plain buffer, not a resizable one, so that reads
   * and writes stay on V8's fastest typed-array path (a resizable one replayed 2-5%
   * slower in two interleaved pairs of scripts/bench-replay.mjs). */
  private data = new Float64Array(SLOT * INITIAL_SLOTS);
  /** Slots given back, reused before new ones (an IntStack: under churn ~25,000 are
   * taken by one tick and given back by the next ones; an array trimmed and regrown each time
   * was garbage per connection). */
  private readonly free = new IntStack();
  /** Slots handed out from the start of `data`, free or not. */
  private used = 0;
  /** Slots handed out and not given back. */
  private live = 0;

  /** A slot of zeros. */
  take(): number {
    this.live++;
    const reused = this.free.pop();
    if (reused !== -1) {
      this.data.fill(0, reused * SLOT, reused * SLOT + SLOT);
      return reused;
    }
    if ((this.used + 1) * SLOT > this.data.length) {
      // The copy is zero-filled past the old length, and the old memory freed.
      this.data = new Float64Array(transfer(this.data.buffer, this.data.byteLength * 2));
    }
    return this.used++;
  }

  /** Once no slot is in use, a pool that grew (100,000 held connections that each sent
   * once) starts over small: the flows' samples have left the window, and the grown
   * array would otherwise stay resident for the rest of the session. */
  release(slot: number): void {
    this.live--;
    if (this.live === 0 && this.data.length > SLOT * INITIAL_SLOTS) {
      transfer(this.data.buffer, 0); // frees the grown array now, not at a later GC
      this.data = new Float64Array(SLOT * INITIAL_SLOTS);
      this.free.reset();
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

/** ArrayBuffer.prototype.transfer (ES2024; the project's TypeScript lib is older): a buffer
 * of `bytes` with the old one's contents, the old one detached and its memory freed. */
function transfer(buffer: ArrayBufferLike, bytes: number): ArrayBuffer {
  return (buffer as ArrayBuffer & { transfer(bytes: number): ArrayBuffer }).transfer(bytes);
}
