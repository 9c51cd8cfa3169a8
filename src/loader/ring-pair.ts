// The order in which one drain reads the main ring and its overflow ring (the spill), so
// that records come out in the order they were reserved (bpf/README.md, lost events and
// order). The kernel writes the spill from the first record that did not fit in the main
// ring until user space resumes it, so a drain reads the main ring, then resumes and reads
// the spill. Two records can be read late, and each has its rule here:
// - a spill record reserved before the last resume but still being written when the spill
//   was walked: read first at the next drain, before the main ring's newer records;
// - a main ring record reserved before the ring filled but still being written when it was
//   walked (the walk stops there): older than every spill record, so the spill waits for
//   it (no resume, no walk) until a later drain has read it, unless the spill is half full
//   (a record out of order is better than one lost).
// Pure over two ring objects, so the rules are unit-tested with rings whose records can be
// held mid-write, which a real BPF ring only does by chance.
import type { RecordAtHandler, WalkResult } from './ring-walk';

/** What the pair needs of a ring: ring-mmap.ts, or ring-libbpf.ts, which cannot see the
 * positions (null). Positions are byte offsets that only grow. */
export interface PairedRing {
  /** Hands the committed records up to the first one still being written (and before
   * `upTo`, when the ring can tell) to `onRecord`. */
  drain(onRecord: RecordAtHandler, upTo?: number): WalkResult;
  /** Bytes reserved and not yet handed out, a record still being written included. */
  pending(): number | null;
  /** The producer's position: every record reserved so far lies before it. */
  produced(): number | null;
  /** The consumer's position: every record before it has been handed out. */
  readonly consumed: number | null;
}

export class RingPair {
  /** Records handed to the handler. */
  records = 0;
  /** Drains whose spill waited for a main ring record still being written. */
  spillWaits = 0;
  /** The spill's producer position at its last resume: records before it were reserved by
   * then. */
  private spillOwedTo = 0;

  /** `resume` lets the kernel write to the main ring again (a map update). */
  constructor(
    private readonly main: PairedRing,
    private readonly spill: PairedRing | null,
    private readonly spillBytes: number,
    private readonly resume: () => void,
  ) {}

  /** Every record the rules allow now, in order; returns how many. A handler error is
   * rethrown after its record, which counts as consumed. */
  drain(onRecord: RecordAtHandler): number {
    const { main, spill } = this;
    if (spill === null) return this.walk(main, onRecord);
    let n = 0;
    const owedFrom = spill.consumed;
    if (owedFrom !== null && owedFrom < this.spillOwedTo) n += this.walk(spill, onRecord, this.spillOwedTo);
    n += this.walk(main, onRecord);
    const spilled = spill.pending();
    if (spilled === null) {
      this.resume(); // cannot tell whether the spill holds records: always
    } else if (spilled > 0) {
      const mainHeld = main.pending();
      if (mainHeld !== null && mainHeld > 0 && spilled <= this.spillBytes / 2) {
        this.spillWaits++;
        return n;
      }
      this.resume();
      this.spillOwedTo = spill.produced()!;
    }
    // Walked even when empty: a lazily mapped spill unmaps its data pages then.
    return n + this.walk(spill, onRecord);
  }

  private walk(ring: PairedRing, onRecord: RecordAtHandler, upTo?: number): number {
    const r = ring.drain(onRecord, upTo);
    this.records += r.records;
    if (r.hasError) throw r.error;
    return r.records;
  }
}
