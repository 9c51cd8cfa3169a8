// Gives memory back after a burst. A burst (100,000 connections listed at start, a churn
// peak) leaves tens of MB of dead Buffers (ring record runs, msgpack and zstd output) that
// V8 frees only at its next full GC, which a quiet process may not run for minutes, and
// glibc keeps what is freed in its heap. So, when array-buffer memory grew by more than
// SLACK since its lowest point: one full GC; at the next call (V8 frees the buffers' memory
// on a background thread, after the GC) malloc_trim. Nothing while memory is steady.
import v8 from 'node:v8';
import vm from 'node:vm';
import { libbpf } from '../loader/libbpf';

const SLACK = 16 * 1024 * 1024;
/** At most one reclaim this often: under sustained churn a reclaim would find little to
 * give back, and malloc_trim on a large heap costs tens of ms. */
const MIN_GAP_MS = 30_000;

let fullGc: (() => void) | null | undefined;

/** V8's gc(), made reachable without a command-line flag (null if that fails). */
function gcFunction(): (() => void) | null {
  if (fullGc !== undefined) return fullGc;
  try {
    v8.setFlagsFromString('--expose-gc');
    fullGc = vm.runInNewContext('gc') as () => void;
  } catch {
    fullGc = null;
  }
  return fullGc;
}

export class MemoryReturner {
  /** The fewest array-buffer bytes seen since the last full GC, and the last reading. */
  private low = process.memoryUsage().arrayBuffers;
  private prev = this.low;
  private trimNext = false;
  private lastReclaim = -Infinity;

  /** Call once per interval; `quiet`: the interval read few records. True when it ran a
   * full GC: buffers grew by more than SLACK and stopped growing in a quiet interval (the
   * burst is over). Under sustained churn nothing runs: V8's own GCs keep up there, and a
   * GC plus malloc_trim every 30 s was a visible share of the recorder's CPU. */
  maybeReclaim(quiet: boolean): boolean {
    if (this.trimNext) {
      libbpf().trimNativeHeap();
      this.trimNext = false;
    }
    const now = process.memoryUsage().arrayBuffers;
    const growing = now > this.prev + SLACK / 16;
    this.prev = now;
    this.low = Math.min(this.low, now);
    if (!quiet || now - this.low < SLACK || growing || performance.now() - this.lastReclaim < MIN_GAP_MS) return false;
    this.lastReclaim = performance.now();
    gcFunction()?.();
    this.trimNext = true;
    this.low = now;
    return true;
  }
}
