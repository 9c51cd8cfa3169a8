// A BPF ring buffer map read straight from its mapping, without libbpf's per-record C
// callback: the mappings libbpf's ringbuf.c makes (consumer page read-write at offset 0;
// producer page + data area read-only at offset page_size), except that the data area is
// mapped once, not twice (half the resident memory; ring-walk.ts joins a wrapped record),
// with the positions and records read in JS.
import { libbpf, type Ptr } from './libbpf';
import { runtimeFailure } from './failures';
import { walkRing, type RecordAtHandler, type RingView, type WalkResult } from './ring-walk';
import { RuntimeError } from '../errors';

const MAX_RING_BYTES = 2 ** 30;

export class MmapRing {
  private consumerPtr: Ptr | null;
  private producerPtr: Ptr | null;
  private readonly consumerLen: number;
  private readonly producerLen: number;
  private readonly consumerAb: ArrayBuffer;
  private readonly producerAb: ArrayBuffer;
  /** consumer_pos (written by us, read by the kernel's reserve) and producer_pos. */
  private readonly consumerPos: BigUint64Array;
  private readonly producerPos: BigUint64Array;
  private readonly view: RingView;
  /** Our copy of consumer_pos: only this reader writes it. */
  private cons: number;

  /** Maps the ring (`size`: the map's max_entries, a power of two); throws on failure. */
  constructor(mapName: string, fd: number, readonly size: number) {
    // The walk masks positions with 32-bit integer operations (ring-walk.ts).
    if (size > MAX_RING_BYTES) throw new RuntimeError(`ring buffer '${mapName}' of ${size} bytes is too large to map here (max ${MAX_RING_BYTES})`);
    const b = libbpf();
    const page = b.pageSize;
    this.consumerLen = page;
    this.producerLen = page + size;
    const consumer = b.mapShared(fd, this.consumerLen, true, 0);
    if (consumer === null) throw runtimeFailure(`mapping ring buffer '${mapName}' (consumer page)`, -b.errno());
    const producer = b.mapShared(fd, this.producerLen, false, page);
    if (producer === null) {
      const errno = b.errno();
      b.unmap(consumer, this.consumerLen);
      throw runtimeFailure(`mapping ring buffer '${mapName}' (data pages)`, -errno);
    }
    this.consumerPtr = consumer;
    this.producerPtr = producer;
    this.consumerAb = b.arrayView(consumer, this.consumerLen);
    this.producerAb = b.arrayView(producer, this.producerLen);
    this.consumerPos = new BigUint64Array(this.consumerAb, 0, 1);
    this.producerPos = new BigUint64Array(this.producerAb, 0, 1);
    this.view = {
      data: Buffer.from(this.producerAb, page, size),
      words: new Uint32Array(this.producerAb, page, size / 4),
      mask: size - 1,
      scratch: { buf: Buffer.alloc(4096) },
    };
    this.cons = Number(Atomics.load(this.consumerPos, 0));
  }

  /**
   * Hands the committed records to `onRecord` (at most one ring's worth, so a flood cannot
   * hold the event loop), then stores consumer_pos, which gives their space back to the
   * kernel. Two BigInts per call, nothing per record.
   */
  drain(onRecord: RecordAtHandler): WalkResult {
    // Atomic (seq-cst) loads and stores: acquire/release as libbpf's smp_load_acquire /
    // smp_store_release on arm64; on x86 the load is a plain mov, as in libbpf.
    const prod = Number(Atomics.load(this.producerPos, 0));
    if (prod === this.cons) return { pos: this.cons, records: 0, error: null, hasError: false };
    const r = walkRing(this.view, this.cons, prod, this.size, onRecord);
    if (r.pos !== this.cons) {
      this.cons = r.pos;
      Atomics.store(this.consumerPos, 0, BigInt(r.pos));
    }
    return r;
  }

  /** Bytes committed and not yet consumed (a BUSY record counts too). */
  pending(): number {
    return Number(Atomics.load(this.producerPos, 0)) - this.cons;
  }

  /** Detaches the views (a record a handler kept becomes empty instead of a dangling read),
   * then unmaps; idempotent. */
  close(): void {
    if (this.consumerPtr === null || this.producerPtr === null) return;
    const b = libbpf();
    detach(this.consumerAb);
    detach(this.producerAb);
    b.unmap(this.producerPtr, this.producerLen);
    b.unmap(this.consumerPtr, this.consumerLen);
    this.consumerPtr = null;
    this.producerPtr = null;
  }
}

/** ArrayBuffer.prototype.transfer (ES2024, Node >= 21): detaches `ab`, copying nothing. */
function detach(ab: ArrayBuffer): void {
  (ab as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
}
