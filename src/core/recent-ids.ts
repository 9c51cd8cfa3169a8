// Which flow ids close below the largest one were opened, as bits: the reducer asks its
// flows' id Map whether an opening flow's id is already there (a repeated id replaces the
// flow: recordings may reuse ids) unless the id is the largest yet. Live flow ids are a
// kernel counter, but under connection churn the records come in the order the flows
// closed, not opened, so most ids are below the largest, and each question was a lookup
// that missed in a Map of every flow held (100,000 for the TUI, ten seconds of churn for
// `--format jsonl`): a cache miss, most of the reducer's cost of an open with the insert
// after it. An id in the window whose bit is clear was never opened, so it is not there.

/** Ids tracked below the largest: 2^18 bits, 32 KiB (a second of churn is ~50,000 ids). */
const WINDOW_BITS = 18;
const WINDOW = 1 << WINDOW_BITS;
const MASK = WINDOW - 1;
const MAX_ID = 0xffffffff;

export class RecentIds {
  private readonly bits = new Int32Array(WINDOW >>> 5);
  /** The largest id noted (-1: none): ids in (max - WINDOW, max] are tracked. */
  private max = -1;

  /** Notes that a flow with this id was opened. */
  note(id: number): void {
    if (!isU32(id)) return;
    if (id > this.max) {
      this.clear(this.max, id);
      this.max = id;
    } else if (id <= this.max - WINDOW) return;
    this.bits[(id & MASK) >>> 5] |= 1 << (id & 31);
  }

  /** False when a flow with this id was surely never opened (noted); true when it may have. */
  mayHave(id: number): boolean {
    if (!isU32(id)) return true;
    if (id > this.max) return false;
    if (id <= this.max - WINDOW) return true;
    return (this.bits[(id & MASK) >>> 5] & (1 << (id & 31))) !== 0;
  }

  /** The bits of ids from + 1 .. to are cleared (they stood for ids a window lower). */
  private clear(from: number, to: number): void {
    if (from < 0 || to - from >= WINDOW) {
      this.bits.fill(0);
      return;
    }
    for (let id = from + 1; id <= to; id++) this.bits[(id & MASK) >>> 5] &= ~(1 << (id & 31));
  }
}

function isU32(id: number): boolean {
  return id >= 0 && id <= MAX_ID && Math.floor(id) === id;
}
