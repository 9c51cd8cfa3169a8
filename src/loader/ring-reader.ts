// Drains a BPF ring buffer without ever blocking Node's event loop: ring_buffer__consume
// only takes what is already there and returns, and a timer calls it. A JS callback per
// record costs about 1 µs here (ENVIRONMENT.md: ~1.2M records/s), which is plenty for
// lifecycle events; byte counting never goes through the ring.
import { RuntimeError } from '../errors';
import { libbpf, type Ptr } from './libbpf';
import { runtimeFailure } from './failures';

export type RecordHandler = (data: Buffer) => void;

export class RingReader {
  private rb: Ptr | null;
  private cb: Ptr | null;
  private timer: NodeJS.Timeout | null = null;
  private pendingError: unknown = null;
  private draining = false;
  private scratch = Buffer.alloc(4096);
  /** Records handed to the handler since creation. */
  records = 0;

  /** Use BpfObject.ringBuffer(); this constructor trusts `mapFd` to be a loaded RINGBUF map. */
  constructor(
    readonly mapName: string,
    mapFd: number,
    private readonly onRecord: RecordHandler,
  ) {
    const b = libbpf();
    this.cb = b.registerSampleCallback((_ctx, data, size) => {
      try {
        // One reusable buffer per reader: records are copied into it, never wrapped in a new
        // external ArrayBuffer (that allocation, and its GC, dominated the drain's CPU).
        if (size > this.scratch.length) this.scratch = Buffer.alloc(Math.max(size, 2 * this.scratch.length));
        b.copyInto(this.scratch, data, size);
        this.onRecord(this.scratch.subarray(0, size));
        this.records++;
        return 0;
      } catch (err) {
        // A negative return stops ring_buffer__consume after this record (which counts as
        // consumed); drain() rethrows the handler's error.
        this.pendingError = err;
        return -1;
      }
    });
    const rb = b.bpf.ring_buffer__new(mapFd, this.cb, null, null);
    if (rb === null) {
      const errno = b.errno();
      b.unregister(this.cb);
      this.cb = null;
      throw runtimeFailure(`opening ring buffer '${mapName}'`, errno);
    }
    this.rb = rb;
  }

  /**
   * Hands every record already in the ring to the handler, synchronously; returns how many.
   * The Buffer passed to the handler is reused for the next record: copy it to keep it.
   */
  drain(): number {
    if (this.rb === null) throw new RuntimeError(`ring buffer '${this.mapName}' used after close`);
    if (this.draining) return 0; // a handler that drains again would re-enter libbpf
    this.draining = true;
    const before = this.records;
    let n: number;
    try {
      n = libbpf().bpf.ring_buffer__consume(this.rb);
    } finally {
      this.draining = false;
    }
    if (this.pendingError !== null) {
      const err = this.pendingError;
      this.pendingError = null;
      throw err;
    }
    if (n < 0) throw runtimeFailure(`reading ring buffer '${this.mapName}'`, n);
    return this.records - before;
  }

  /**
   * Drains every `periodMs` on a timer. A handler error stops the timer and goes to
   * `onError` (or, without one, becomes an uncaught exception: a bug must not go quiet).
   */
  start(periodMs = 50, onError?: (err: unknown) => void): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      try {
        this.drain();
      } catch (err) {
        this.stop();
        if (onError) onError(err);
        else throw err;
      }
    }, periodMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  /** Frees the ring buffer and its callback; idempotent. */
  close(): void {
    this.stop();
    const b = libbpf();
    if (this.rb !== null) b.bpf.ring_buffer__free(this.rb);
    this.rb = null;
    if (this.cb !== null) b.unregister(this.cb);
    this.cb = null;
  }
}
