// Drains a BPF ring buffer without ever blocking Node's event loop: a drain only takes
// what is already there and returns, and a timer calls it. The ring is read from its own
// mapping in JS (ring-mmap.ts: no FFI call and no copy per record); when the map cannot be
// mapped, libbpf's ring_buffer__consume with a JS callback per record does it instead
// (ring-libbpf.ts). The timer backs off while the ring stays empty, so an idle sockscope
// wakes up a few times a second, not twenty. A reader may also drain an overflow ring
// (`spill`), which the kernel writes while the main ring is full, in the order of
// ring-pair.ts (bpf/README.md, lost events and order).
import { RuntimeError } from '../errors';
import { MmapRing } from './ring-mmap';
import { LibbpfRing } from './ring-libbpf';
import { RingPair } from './ring-pair';
import type { RecordAtHandler, RecordHandler } from './ring-walk';

export type { RecordAtHandler, RecordHandler };

export interface RingReaderOptions {
  /** How records are read: 'mmap' (the map's mapping, in JS), 'libbpf' (ring_buffer__consume),
   * or 'auto' (default): mmap, libbpf when mapping fails. */
  access?: 'auto' | 'mmap' | 'libbpf';
  /** The longest wait between drains while the ring stays empty (default 250 ms). */
  maxIdlePeriodMs?: number;
  /** An overflow ring read after this one, by the same handler. */
  spill?: SpillRing;
}

/** An overflow ring: a loaded RINGBUF map that the kernel writes instead of the main ring
 * from the first record that did not fit there until `resume` is called. */
export interface SpillRing {
  mapName: string;
  fd: number;
  size: number;
  /** Lets the kernel write to the main ring again; called after the main ring is drained,
   * before the spill is (the records written meanwhile go to the spill, read next). */
  resume: () => void;
}

export class RingReader {
  private ring: MmapRing | LibbpfRing | null;
  private spillRing: MmapRing | LibbpfRing | null = null;
  private readonly spill: SpillRing | null;
  /** How this reader reads: 'mmap' or 'libbpf' (the fallback). */
  readonly access: 'mmap' | 'libbpf';
  /** Why mmap was not used, when access is 'libbpf' under 'auto'. */
  readonly fallbackReason: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private delay = 0;
  private draining = false;
  private readonly maxIdlePeriodMs: number;
  private readonly pair: RingPair;

  /** Use BpfObject.ringBuffer(); this constructor trusts `mapFd` to be a loaded RINGBUF map
   * of `size` bytes (its max_entries). */
  constructor(
    readonly mapName: string,
    mapFd: number,
    size: number,
    private readonly onRecord: RecordAtHandler,
    options: RingReaderOptions = {},
  ) {
    const access = options.access ?? 'auto';
    this.maxIdlePeriodMs = options.maxIdlePeriodMs ?? 250;
    let ring: MmapRing | LibbpfRing | null = null;
    if (access !== 'libbpf') {
      try {
        ring = new MmapRing(mapName, mapFd, size);
      } catch (err) {
        if (access === 'mmap') throw err;
        this.fallbackReason = err instanceof Error ? err.message : String(err);
      }
    }
    this.ring = ring ?? new LibbpfRing(mapName, mapFd);
    this.access = ring ? 'mmap' : 'libbpf';
    this.spill = options.spill ?? null;
    if (this.spill) {
      const { mapName: name, fd, size } = this.spill;
      try {
        // Read the same way as the main ring; its data pages mapped only while in use.
        this.spillRing = this.access === 'mmap' ? new MmapRing(name, fd, size, true) : new LibbpfRing(name, fd);
      } catch (err) {
        this.ring.close();
        throw err;
      }
    }
    this.pair = new RingPair(this.ring, this.spillRing, this.spill?.size ?? 0, this.spill?.resume ?? (() => {}));
  }

  /** Records handed to the handler since creation. */
  get records(): number {
    return this.pair.records;
  }

  /** Drains whose overflow ring waited for a main ring record still being written. */
  get spillWaits(): number {
    return this.pair.spillWaits;
  }

  /** Whether the overflow ring's data pages are mapped now (false without one). */
  get spillMapped(): boolean {
    return this.spillRing instanceof MmapRing && this.spillRing.dataMapped;
  }

  /**
   * Hands every record already in the ring to the handler, synchronously; returns how many.
   * The Buffer passed to the handler is only valid during the call (it is the ring's own
   * memory, or a reused scratch buffer): copy it to keep it. A handler error is rethrown
   * after its record, which counts as consumed; the rest stay in the ring.
   */
  drain(): number {
    if (this.ring === null) throw new RuntimeError(`ring buffer '${this.mapName}' used after close`);
    if (this.draining) return 0; // a handler that drains again would re-enter the walk
    this.draining = true;
    try {
      return this.pair.drain(this.onRecord);
    } finally {
      this.draining = false;
    }
  }

  /**
   * Drains every `periodMs` on a timer, backing off (doubling, up to maxIdlePeriodMs) while
   * drains find nothing and back to `periodMs` as soon as one finds records. A handler error
   * stops the timer and goes to `onError` (or, without one, becomes an uncaught exception: a
   * bug must not go quiet).
   */
  start(periodMs = 50, onError?: (err: unknown) => void): void {
    if (this.timer) return;
    const idleMax = Math.max(periodMs, this.maxIdlePeriodMs);
    this.delay = periodMs;
    const tick = () => {
      let n: number;
      try {
        n = this.drain();
      } catch (err) {
        this.stop();
        if (onError) onError(err);
        else throw err;
        return;
      }
      if (this.timer === null) return; // stopped by the handler
      this.delay = n > 0 ? periodMs : Math.min(this.delay * 2, idleMax);
      this.timer = setTimeout(tick, this.delay);
    };
    this.timer = setTimeout(tick, this.delay);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The wait before the next timed drain (0 when not started). */
  get periodMs(): number {
    return this.timer === null ? 0 : this.delay;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  /** Unmaps (or frees) the ring buffer; idempotent. */
  close(): void {
    this.stop();
    this.ring?.close();
    this.ring = null;
    this.spillRing?.close();
    this.spillRing = null;
  }
}
