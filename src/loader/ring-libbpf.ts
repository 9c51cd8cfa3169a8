// The fallback ring buffer reader, when the map cannot be mapped into this process:
// libbpf's ring_buffer__consume, which calls back into JS once per record (a koffi
// trampoline and a copy per record: the most expensive part of the drain under connection
// churn, docs/performance.md, hence ring-mmap.ts first).
import { libbpf, type Ptr } from './libbpf';
import { runtimeFailure } from './failures';
import type { RecordAtHandler, WalkResult } from './ring-walk';
import type { PairedRing } from './ring-pair';

export class LibbpfRing implements PairedRing {
  private rb: Ptr | null;
  private cb: Ptr | null;
  private handler: RecordAtHandler | null = null;
  private pendingError: unknown = null;
  private hasError = false;
  private records = 0;
  private scratch = Buffer.alloc(4096);

  constructor(private readonly mapName: string, fd: number) {
    const b = libbpf();
    this.cb = b.registerSampleCallback((_ctx, data, size) => {
      try {
        // One reusable buffer: records are copied into it, never wrapped in a new external
        // ArrayBuffer (that allocation, and its GC, dominated the drain's CPU).
        if (size > this.scratch.length) this.scratch = Buffer.alloc(Math.max(size, 2 * this.scratch.length));
        b.copyInto(this.scratch, data, size);
        this.handler!(this.scratch, 0, size);
        this.records++;
        return 0;
      } catch (err) {
        // A negative return stops ring_buffer__consume after this record (which counts as
        // consumed); drain() hands the handler's error back.
        this.pendingError = err;
        this.hasError = true;
        return -1;
      }
    });
    const rb = b.bpf.ring_buffer__new(fd, this.cb, null, null);
    if (rb === null) {
      const errno = b.errno();
      b.unregister(this.cb);
      this.cb = null;
      throw runtimeFailure(`opening ring buffer '${mapName}'`, errno);
    }
    this.rb = rb;
  }

  /** Every committed record to `onRecord`; a negative libbpf result throws. */
  drain(onRecord: RecordAtHandler): WalkResult {
    this.handler = onRecord;
    this.records = 0;
    this.hasError = false;
    this.pendingError = null;
    let n: number;
    try {
      n = libbpf().bpf.ring_buffer__consume(this.rb!);
    } finally {
      this.handler = null;
    }
    const r: WalkResult = { pos: 0, records: this.records, error: this.pendingError, hasError: this.hasError };
    this.pendingError = null;
    if (!r.hasError && n < 0) throw runtimeFailure(`reading ring buffer '${this.mapName}'`, n);
    return r;
  }

  /** libbpf keeps the positions to itself. */
  pending(): null {
    return null;
  }

  produced(): null {
    return null;
  }

  get consumed(): null {
    return null;
  }

  /** Frees the ring buffer and its callback; idempotent. */
  close(): void {
    const b = libbpf();
    if (this.rb !== null) b.bpf.ring_buffer__free(this.rb);
    this.rb = null;
    if (this.cb !== null) b.unregister(this.cb);
    this.cb = null;
  }
}
