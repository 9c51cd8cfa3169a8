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
/** Address space reserved for the pool's buffer (not memory: pages are committed as it
 * grows): 4M slots. More slots move it to a buffer with twice the room. */
const RESERVED_BYTES = 256 * 1024 * 1024;

export class ShortHistories {
  /** Resizable, so that shrinking gives the pages back at once: a grown array replaced by
   * a small one stayed resident until V8's next full GC, which an idle TUI may not run for
   * minutes (8 MiB at the end of the footprint benchmark's 100,000 held flows). */
  private buffer: ResizableBuffer;
  /** Tracks the buffer's length. */
  private data: Float64Array;
  /** Slots given back, reused before new ones. */
  private free: number[] = [];
  /** Slots handed out from the start of `data`, free or not. */
  private used = 0;
  /** Slots handed out and not given back. */
  private live = 0;

  /** `reservedBytes`: the first buffer's room (tests). */
  constructor(reservedBytes = RESERVED_BYTES) {
    this.buffer = newBuffer(SLOT * INITIAL_SLOTS * 8, reservedBytes);
    this.data = new Float64Array(this.buffer);
  }

  /** A slot of zeros. */
  take(): number {
    this.live++;
    const reused = this.free.pop();
    if (reused !== undefined) {
      this.data.fill(0, reused * SLOT, reused * SLOT + SLOT);
      return reused;
    }
    if ((this.used + 1) * SLOT > this.data.length) this.resize(this.buffer.byteLength * 2);
    return this.used++;
  }

  /** Once no slot is in use, a pool that grew (100,000 held connections that each sent
   * once) starts over small: the flows' samples have left the window, and the grown
   * array would otherwise stay resident for the rest of the session. */
  release(slot: number): void {
    this.live--;
    if (this.live === 0 && this.buffer.byteLength > SLOT * INITIAL_SLOTS * 8) {
      this.resize(SLOT * INITIAL_SLOTS * 8);
      this.free = [];
      this.used = 0;
      return;
    }
    this.free.push(slot);
  }

  /** Bytes held by the pool's array (tests). */
  get capacityBytes(): number {
    return this.buffer.byteLength;
  }

  /** Grows in place (growing zeroes the new pages) or shrinks (the pages cut off go back
   * to the system); past the reservation, moves to a buffer with twice its room. */
  private resize(bytes: number): void {
    if (bytes <= this.buffer.maxByteLength) {
      this.buffer.resize(bytes);
      return;
    }
    const bigger = newBuffer(bytes, this.buffer.maxByteLength * 2);
    new Float64Array(bigger).set(this.data);
    this.buffer = bigger;
    this.data = new Float64Array(bigger);
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

/** A resizable ArrayBuffer (ES2024; the project's TypeScript lib is older). */
interface ResizableBuffer extends ArrayBuffer {
  readonly maxByteLength: number;
  resize(bytes: number): void;
}

function newBuffer(bytes: number, maxBytes: number): ResizableBuffer {
  const Resizable = ArrayBuffer as unknown as new (bytes: number, options: { maxByteLength: number }) => ResizableBuffer;
  return new Resizable(bytes, { maxByteLength: Math.max(bytes, maxBytes) });
}
