// Gives memory back after a burst. A burst (100,000 connections listed at start, a churn
// peak) leaves tens of MB of dead Buffers (ring record runs, msgpack and zstd output) and,
// in `live`, of dead events in V8's old space, that V8 frees only at its next full GC,
// which a quiet process may not run for minutes, and glibc keeps what is freed in its heap.
// So, when array-buffer memory or V8's heap grew by more than SLACK since its lowest point:
// one full GC; at the next call (V8 frees the buffers' memory on a background thread, after
// the GC) malloc_trim. Nothing while memory is steady, unless told to trim in quiet
// intervals (the TUI: below), then whenever resident memory grew by QUIET_TRIM_SLACK.
import v8 from 'node:v8';
import vm from 'node:vm';
import { libbpf } from '../loader/libbpf';

const SLACK = 16 * 1024 * 1024;
/** malloc arenas the process's threads share (glibc's default: 8 per core). */
const MALLOC_ARENAS = 2;
/** At most one reclaim this often: under sustained churn a reclaim would find little to
 * give back, and malloc_trim on a large heap costs tens of ms. */
const MIN_GAP_MS = 30_000;
/** trimWhenQuiet trims once resident memory grew this much since the last trim. Trimming
 * every quiet interval, as until 2026-11-29, cost the TUI under keep-alive about a tenth of
 * its CPU (the trim, and its GC threads faulting the pages back in): 1.98 against 2.22% of
 * a core, 3 interleaved pairs of `bench/live-steady.mjs --mode tui --load keepalive --warm
 * 40 --seconds 20`, 2026-11-29); with 100,000 flows held, median RSS of the hold's last
 * 30 s 137.5 and 133.2 against 132.3 and 130.3 MiB, at its end 132.4 and 126.1 against
 * 128.4 and 126.2 (2 pairs of scripts/bench-footprint.mjs --mode tui). */
const QUIET_TRIM_SLACK = 2 * 2 ** 20;

type GcFunction = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;
let fullGc: GcFunction | null | undefined;

/** V8's gc(), made reachable without a command-line flag (null if that fails). */
function gcFunction(): GcFunction | null {
  if (fullGc !== undefined) return fullGc;
  try {
    v8.setFlagsFromString('--expose-gc');
    fullGc = vm.runInNewContext('gc') as GcFunction;
  } catch {
    fullGc = null;
  }
  return fullGc;
}

export interface MemoryReturnerOptions {
  /** malloc_trim in quiet intervals (once RSS grew by QUIET_TRIM_SLACK since the last
   * trim), not only after a burst. For the TUI: its frame
   * each interval keeps V8's garbage collector busy, whose helper threads take and free
   * several MiB of malloc'd memory per collection, and glibc keeps those pages (with
   * 100,000 held flows the helper threads' arenas held 15-17 MiB resident, 10 after a
   * trim, back to 15 within 2-6 s; the main arena 1 MiB more; a trim took 0.4-1 ms). */
  trimWhenQuiet?: boolean;
}

export class MemoryReturner {
  /** Array-buffer and V8 heap bytes: the fewest seen since the last full GC, and the last
   * reading. */
  private low = readMemory();
  private prev = this.low;
  private trimNext = false;
  private lastReclaim = -Infinity;
  /** The fewest resident bytes since the last trim (right after it, at first). */
  private trimmedRss = Infinity;

  constructor(private readonly options: MemoryReturnerOptions = {}) {
    // V8's helper threads (GC, compiler) took malloc arenas of their own (glibc allows 8
    // per core), whose freed pages glibc keeps: with 100,000 held flows the TUI's
    // helper-thread arenas held 10-17 MiB resident. At most two, set here: median RSS of
    // the hold's last 30 s 148.4 -> 145.9 MiB, peak 188 -> 180 (scripts/bench-footprint.mjs
    // --mode tui, 3 interleaved pairs, 2026-11-27; set in the environment before start,
    // MALLOC_ARENA_MAX=2 gave 6 MiB less); CPU under churn unchanged (4 pairs).
    libbpf().limitNativeArenas(MALLOC_ARENAS);
  }

  /** Call once per interval; `quiet`: the interval read few records. True when it ran a
   * full GC: memory grew by more than SLACK and stopped growing in a quiet interval (the
   * burst is over). Under sustained churn nothing runs: V8's own GCs keep up there, and a
   * GC plus malloc_trim every 30 s was a visible share of the recorder's CPU. */
  maybeReclaim(quiet: boolean): boolean {
    if (this.trimNext || (quiet && this.options.trimWhenQuiet && this.grewSinceTrim())) {
      libbpf().trimNativeHeap();
      this.trimNext = false;
      this.trimmedRss = process.memoryUsage.rss();
    }
    const now = readMemory();
    const growing = now.buffers > this.prev.buffers + SLACK / 16 || now.heap > this.prev.heap + SLACK / 16;
    this.prev = now;
    this.low = { buffers: Math.min(this.low.buffers, now.buffers), heap: Math.min(this.low.heap, now.heap) };
    const grown = now.buffers - this.low.buffers >= SLACK || now.heap - this.low.heap >= SLACK;
    if (!quiet || !grown || growing || performance.now() - this.lastReclaim < MIN_GAP_MS) return false;
    this.lastReclaim = performance.now();
    // The memory-reducing kind (V8's last resort before running out): it also compacts the
    // old space and gives its emptied pages back, which a plain full GC keeps for reuse
    // (100,000 flows opened in one batch: RSS 137 -> 90 MB, against 137 -> 138).
    gcFunction()?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    this.trimNext = true;
    this.low = readMemory();
    return true;
  }

  /** Whether resident memory grew by QUIET_TRIM_SLACK from its low since the last trim. */
  private grewSinceTrim(): boolean {
    const rss = process.memoryUsage.rss();
    this.trimmedRss = Math.min(this.trimmedRss, rss);
    return rss >= this.trimmedRss + QUIET_TRIM_SLACK;
  }
}

/** Array-buffer bytes, and the bytes V8's heap has taken from the system. */
function readMemory(): { buffers: number; heap: number } {
  const m = process.memoryUsage();
  return { buffers: m.arrayBuffers, heap: m.heapTotal };
}
