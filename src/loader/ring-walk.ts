// Walks the records of a BPF ring buffer's data area, as libbpf's ringbuf_process_ring()
// does (kernel/bpf/ringbuf.c writes them): each record is an 8-byte header (u32 len with
// BUSY = 1 << 31 while the producer still writes it and DISCARD = 1 << 30 when it gave the
// space back; u32 page offset, unused here), then `len` bytes, the whole rounded up to 8.
// The kernel maps the data area twice in a row so that a wrapped record is contiguous;
// sockscope maps it once (the second mapping doubled the ring's share of resident memory)
// and copies the rare record that wraps around the end into a scratch buffer.
// Pure (typed arrays in, position out) so the parsing is unit-tested over synthetic rings.

export const RINGBUF_BUSY_BIT = 0x80000000;
export const RINGBUF_DISCARD_BIT = 0x40000000;
export const RINGBUF_HDR_SZ = 8;
const LEN_MASK = 0x3fffffff;

/** Handed each record: a subarray of the ring's own mapping (no copy; for a record that
 * wraps, of a scratch buffer), valid only during the call. A handler that needs the bytes
 * later must copy them (Buffer.from(data)). */
export type RecordHandler = (data: Buffer) => void;

/** The walk's own handler: the record is `length` bytes at `offset` in `buf` (the ring's
 * mapping, or the scratch buffer for a wrapped record), so that a handler that only copies
 * or peeks at a record costs no Buffer object per record. Same validity as RecordHandler. */
export type RecordAtHandler = (buf: Buffer, offset: number, length: number) => void;

/** A RecordHandler as a RecordAtHandler (one view per record). */
export function viewing(onRecord: RecordHandler): RecordAtHandler {
  return (buf, offset, length) => onRecord(buf.subarray(offset, offset + length));
}

export interface RingView {
  /** The data area, `size` bytes, mapped once. */
  data: Buffer;
  /** The same bytes as u32 words, for the header loads. */
  words: Uint32Array;
  /** size - 1 (size is a power of two). */
  mask: number;
  /** Where a record that wraps is put together (grown to fit). */
  scratch: { buf: Buffer };
}

export interface WalkResult {
  /** The consumer position after the last record handed out (or skipped). */
  pos: number;
  /** Records handed to the handler (discarded ones are not). */
  records: number;
  /** A record's handler threw: `pos` is past that record (it counts as consumed). */
  error: unknown;
  hasError: boolean;
}

/**
 * Hands the records between `cons` and `prod` to `onRecord`, at most `maxBytes` of ring,
 * and stops early at a record the producer has not committed yet (BUSY), which is where
 * the next walk starts. `cons`/`prod` are byte positions that only grow (JS numbers: exact
 * up to 2^53 bytes, which a ring does not reach).
 */
export function walkRing(view: RingView, cons: number, prod: number, maxBytes: number, onRecord: RecordAtHandler): WalkResult {
  const { data, words, mask } = view;
  const stopAt = Math.min(prod, cons + maxBytes);
  let records = 0;
  while (cons < stopAt) {
    // `cons & mask`: the low 32 bits of cons, masked; exact because mask < 2^31.
    const off = cons & mask;
    // An atomic load: acquire on weakly ordered CPUs (arm64 ldar), a plain load on x86, so
    // the record's bytes are read only after its committed length.
    const len = Atomics.load(words, off >>> 2);
    if ((len & RINGBUF_BUSY_BIT) !== 0) break;
    const size = len & LEN_MASK;
    cons += (size + RINGBUF_HDR_SZ + 7) & ~7;
    if ((len & RINGBUF_DISCARD_BIT) !== 0) continue;
    // Headers are 8-aligned and the ring a multiple of 8: only the data can wrap.
    const start = (off + RINGBUF_HDR_SZ) & mask;
    try {
      if (start + size <= mask + 1) onRecord(data, start, size);
      else onRecord(unwrap(view, start, size), 0, size);
    } catch (error) {
      return { pos: cons, records, error, hasError: true };
    }
    records++;
  }
  return { pos: cons, records, error: null, hasError: false };
}

/** The `size` bytes at `start` that run past the end of the ring and on from its start. */
function unwrap(view: RingView, start: number, size: number): Buffer {
  if (view.scratch.buf.length < size) view.scratch.buf = Buffer.alloc(Math.max(size, 2 * view.scratch.buf.length));
  const out = view.scratch.buf.subarray(0, size);
  const first = view.mask + 1 - start;
  view.data.copy(out, 0, start, start + first);
  view.data.copy(out, first, 0, size - first);
  return out;
}
