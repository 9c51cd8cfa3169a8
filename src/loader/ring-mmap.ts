// A BPF ring buffer map read straight from its mapping, without libbpf's per-record C
// callback: the mappings libbpf's ringbuf.c makes (consumer page read-write at offset 0;
// producer page + data area read-only at offset page_size), except that the data area is
// mapped once, not twice (half the resident memory; ring-walk.ts joins a wrapped record),
// with the positions and records read in JS.
import { libbpf, type Ptr } from './libbpf';
import { runtimeFailure } from './failures';
import { walkRing, type RecordAtHandler, type RingView, type WalkResult } from './ring-walk';
import { RuntimeError } from '../errors';
import type { PairedRing } from './ring-pair';

const MAX_RING_BYTES = 2 ** 30;

export class MmapRing implements PairedRing {
  private consumerPtr: Ptr | null;
  private producerPtr: Ptr | null;
  private readonly consumerLen: number;
  private readonly producerLen: number;
  private readonly consumerAb: ArrayBuffer;
  private readonly producerAb: ArrayBuffer;
  /** consumer_pos (written by us, read by the kernel's reserve) and producer_pos. */
  private readonly consumerPos: BigUint64Array;
  private readonly producerPos: BigUint64Array;
  /** The data area's own mapping when it is mapped apart from the producer page (lazy). */
  private dataPtr: Ptr | null = null;
  private dataAb: ArrayBuffer | null = null;
  private view: RingView | null = null;
  /** Our copy of consumer_pos: only this reader writes it. */
  private cons: number;

  /** Maps the ring (`size`: the map's max_entries, a power of two); throws on failure.
   * `lazy`: the data area is mapped only while the ring holds records, and unmapped at the
   * first drain that finds it empty: the kernel puts every page of a ring's mapping in
   * place at mmap (remap_vmalloc_range), so a mapped ring counts whole in resident memory,
   * used or not (the overflow ring, empty but for a drain held up too long). */
  constructor(private readonly mapName: string, private readonly fd: number, readonly size: number, private readonly lazy = false) {
    // The walk masks positions with 32-bit integer operations (ring-walk.ts).
    if (size > MAX_RING_BYTES) throw new RuntimeError(`ring buffer '${mapName}' of ${size} bytes is too large to map here (max ${MAX_RING_BYTES})`);
    const b = libbpf();
    const page = b.pageSize;
    this.consumerLen = page;
    this.producerLen = lazy ? page : page + size;
    const consumer = b.mapShared(fd, this.consumerLen, true, 0);
    if (consumer === null) throw runtimeFailure(`mapping ring buffer '${mapName}' (consumer page)`, -b.errno());
    const producer = b.mapShared(fd, this.producerLen, false, page);
    if (producer === null) {
      const errno = b.errno();
      b.unmap(consumer, this.consumerLen);
      throw runtimeFailure(`mapping ring buffer '${mapName}' (${lazy ? 'producer page' : 'data pages'})`, -errno);
    }
    this.consumerPtr = consumer;
    this.producerPtr = producer;
    this.consumerAb = b.arrayView(consumer, this.consumerLen);
    this.producerAb = b.arrayView(producer, this.producerLen);
    this.consumerPos = new BigUint64Array(this.consumerAb, 0, 1);
    this.producerPos = new BigUint64Array(this.producerAb, 0, 1);
    if (!lazy) this.view = viewOf(this.producerAb, page, size);
    this.cons = Number(Atomics.load(this.consumerPos, 0));
  }

  /** Whether the data area is mapped now (always, unless lazy). */
  get dataMapped(): boolean {
    return this.view !== null;
  }

  /**
   * Hands the committed records to `onRecord` (at most one ring's worth, so a flood cannot
   * hold the event loop), then stores consumer_pos, which gives their space back to the
   * kernel. Two BigInts per call, nothing per record.
   */
  drain(onRecord: RecordAtHandler, upTo = Infinity): WalkResult {
    // Atomic (seq-cst) loads and stores: acquire/release as libbpf's smp_load_acquire /
    // smp_store_release on arm64; on x86 the load is a plain mov, as in libbpf.
    const produced = Number(Atomics.load(this.producerPos, 0));
    const prod = produced < upTo ? produced : upTo;
    if (prod <= this.cons) {
      if (this.lazy && this.view !== null && produced === this.cons) this.unmapData();
      return { pos: this.cons, records: 0, error: null, hasError: false };
    }
    const view = this.view ?? this.mapData();
    const r = walkRing(view, this.cons, prod, this.size, onRecord);
    if (r.pos !== this.cons) {
      this.cons = r.pos;
      Atomics.store(this.consumerPos, 0, BigInt(r.pos));
    }
    return r;
  }

  /** Bytes committed and not yet consumed (a BUSY record counts too). */
  pending(): number {
    return this.produced() - this.cons;
  }

  /** The producer's position now: every record reserved so far lies before it. */
  produced(): number {
    return Number(Atomics.load(this.producerPos, 0));
  }

  /** The consumer's position: every record before it has been handed out. */
  get consumed(): number {
    return this.cons;
  }

  private mapData(): RingView {
    const b = libbpf();
    const ptr = b.mapShared(this.fd, this.size, false, 2 * b.pageSize);
    if (ptr === null) throw runtimeFailure(`mapping ring buffer '${this.mapName}' (data pages)`, -b.errno());
    this.dataPtr = ptr;
    this.dataAb = b.arrayView(ptr, this.size);
    this.view = viewOf(this.dataAb, 0, this.size);
    return this.view;
  }

  private unmapData(): void {
    if (this.dataPtr === null) return;
    detach(this.dataAb!);
    libbpf().unmap(this.dataPtr, this.size);
    this.dataPtr = null;
    this.dataAb = null;
    this.view = null;
  }

  /** Detaches the views (a record a handler kept becomes empty instead of a dangling read),
   * then unmaps; idempotent. */
  close(): void {
    if (this.consumerPtr === null || this.producerPtr === null) return;
    const b = libbpf();
    this.unmapData();
    detach(this.consumerAb);
    detach(this.producerAb);
    b.unmap(this.producerPtr, this.producerLen);
    b.unmap(this.consumerPtr, this.consumerLen);
    this.consumerPtr = null;
    this.producerPtr = null;
    this.view = null;
  }
}

function viewOf(ab: ArrayBuffer, offset: number, size: number): RingView {
  return {
    data: Buffer.from(ab, offset, size),
    words: new Uint32Array(ab, offset, size / 4),
    mask: size - 1,
    scratch: { buf: Buffer.alloc(4096) },
  };
}

/** ArrayBuffer.prototype.transfer (ES2024, Node >= 21): detaches `ab`, copying nothing. */
function detach(ab: ArrayBuffer): void {
  (ab as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
}
