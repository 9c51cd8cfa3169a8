// A BPF array map created with BPF_F_MMAPABLE, read through a mapping of its values: a
// read of the whole map is then a loop over memory, not a batch read, which copies every
// element out one at a time (live_slots, 4,097 words: about 1.6 ms of kernel time per
// interval, idle or not). Values are 8-aligned (elements of an array map are
// round_up(value_size, 8) bytes apart).
import { libbpf, type Ptr } from './libbpf';
import type { BpfMap } from './bpf-map';

export class MappedArray {
  private ptr: Ptr | null;
  private readonly length: number;
  private readonly ab: ArrayBuffer;
  /** The values as u32 words; element i starts at word i * stride. */
  readonly words: Uint32Array;
  readonly stride: number;

  private constructor(ptr: Ptr, length: number, readonly map: BpfMap) {
    this.ptr = ptr;
    this.length = length;
    this.ab = libbpf().arrayView(ptr, length);
    this.stride = Math.ceil(map.valueSize / 8) * 2;
    this.words = new Uint32Array(this.ab, 0, this.stride * map.maxEntries);
  }

  /** The mapping of `map`, or null when it cannot be mapped (a map without
   * BPF_F_MMAPABLE, as in an older object, or a kernel before 5.5). `writable`: user space
   * writes the values too (changed_slots, whose bits it clears). */
  static open(map: BpfMap, writable = false): MappedArray | null {
    const b = libbpf();
    const bytes = Math.ceil(map.valueSize / 8) * 8 * map.maxEntries;
    const length = Math.ceil(bytes / b.pageSize) * b.pageSize;
    const ptr = b.mapShared(map.fd, length, writable, 0);
    return ptr === null ? null : new MappedArray(ptr, length, map);
  }

  /** Detaches the views (a reader kept by mistake sees an empty array, not freed memory),
   * then unmaps; idempotent. The map itself lives on until this is closed. */
  close(): void {
    if (this.ptr === null) return;
    (this.ab as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
    libbpf().unmap(this.ptr, this.length);
    this.ptr = null;
  }
}
