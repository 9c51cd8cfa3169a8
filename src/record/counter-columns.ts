// Counter snapshots as columns (format version 4, docs/recording-format.md): a
// `counters` event is stored as one `packed-counters` event whose `bytes` hold its entries
// column by column, each column in the narrowest width that holds its values. A long
// capture is mostly counter snapshots (2,000 moving flows are 2,000 entries a second):
// as msgpack each entry was an object to decode, check, apply and collect; as columns a
// snapshot is read into one Float64Array and applied in one loop.
import type { CounterColumns, CountersEvent } from '../events/types';

/** A counters snapshot as a recording stores it (format version 4 on). */
export interface PackedCountersEvent {
  type: 'packed-counters';
  ts: number;
  bytes: Uint8Array;
}

/** Blob layout 1: u8 layout, u8 width of each of the 7 columns, u32 entry count, 4 bytes
 * of zeros, then the columns (little-endian), each padded with zeros to a multiple of 8
 * bytes: a copy of the blob at an aligned address reads every column as a typed array. */
const BLOB_LAYOUT = 1;
const BLOB_HEADER = 16;
const pad8 = (n: number) => (n + 7) & ~7;
const COLUMNS = ['flowId', 'bytesSent', 'bytesReceived', 'packetsSent', 'packetsReceived', 'retransmits', 'srttUs'] as const;
/** Entries in one blob, at most: the writer splits larger snapshots (a reader refuses
 * more, so a forged count cannot make it allocate without bound; each entry takes at
 * least 7 bytes of the blob, so decoding allocates at most 9 bytes per byte read). */
export const MAX_PACKED_ENTRIES = 50_000;

/** Widths: 1, 2 or 4 bytes (an unsigned integer; all bits set stands for null) or 8 (a
 * float64; NaN stands for null). */
function widthFor(col: Float64Array, from: number, to: number): number {
  let max = 0;
  for (let i = from; i < to; i++) {
    const v = col[i];
    if (v !== v) continue; // null
    if (!(v >= 0 && v < 0xffffffff && Number.isInteger(v)) || Object.is(v, -0)) return 8;
    if (v > max) max = v;
  }
  return max < 0xff ? 1 : max < 0xffff ? 2 : max < 0xffffffff ? 4 : 8;
}

/** Entries [from, to) of the columns as a blob. */
export function encodeCounterColumns(c: CounterColumns, from = 0, to = c.length): Uint8Array {
  const n = to - from;
  const widths = COLUMNS.map((k) => widthFor(c[k], from, to));
  const out = Buffer.alloc(blobLength(n, widths));
  out[0] = BLOB_LAYOUT;
  widths.forEach((w, k) => (out[1 + k] = w));
  out.writeUInt32LE(n, 8);
  let start = BLOB_HEADER;
  COLUMNS.forEach((key, k) => {
    const col = c[key];
    const w = widths[k];
    for (let i = from, off = start; i < to; i++, off += w) {
      const v = col[i];
      if (w === 8) out.writeDoubleLE(v, off);
      else if (w === 4) out.writeUInt32LE(v !== v ? 0xffffffff : v, off);
      else if (w === 2) out.writeUInt16LE(v !== v ? 0xffff : v, off);
      else out[off] = v !== v ? 0xff : v;
    }
    start += pad8(n * w);
  });
  return out;
}

function blobLength(n: number, widths: readonly number[]): number {
  return widths.reduce((a, w) => a + pad8(n * w), BLOB_HEADER);
}

/** Snapshots with fewer entries than this are read byte by byte: a typed-array view costs
 * about as much to make as reading a few dozen values without one, and a quiet interval's
 * snapshot (demo.ssrec: 17 snapshots of 3 entries on average) is a handful of values. */
const VIEW_FROM = 64;
/** Reads one float64 from bytes at any alignment. */
const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);

/** The columns of a blob, or what is wrong with it (a file is untrusted input). */
export function decodeCounterColumns(bytes: Uint8Array): CounterColumns | string {
  if (bytes.length < BLOB_HEADER) return 'packed counters shorter than their header';
  if (bytes[0] !== BLOB_LAYOUT) return `packed counters of unknown layout ${bytes[0]}`;
  let need = BLOB_HEADER;
  const n = bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (bytes[11] * 2 ** 24);
  for (let k = 1; k <= COLUMNS.length; k++) {
    const w = bytes[k];
    if (w !== 1 && w !== 2 && w !== 4 && w !== 8) return `packed counters with a column of width ${w}`;
    need += pad8(n * w);
  }
  if (n > MAX_PACKED_ENTRIES) return `packed counters of ${n} entries (at most ${MAX_PACKED_ENTRIES})`;
  if (bytes.length !== need) return `packed counters of ${bytes.length} bytes, ${n} entries need ${need}`;
  // Every column widened into one Float64Array (all-ones of a narrow column is NaN, as
  // float64 NaN is: null), one allocation for the whole snapshot.
  const all = new Float64Array(COLUMNS.length * n);
  if (n < VIEW_FROM) readSmall(bytes, n, all);
  else readViews(bytes, n, all);
  return {
    length: n,
    flowId: all.subarray(0, n),
    bytesSent: all.subarray(n, 2 * n),
    bytesReceived: all.subarray(2 * n, 3 * n),
    packetsSent: all.subarray(3 * n, 4 * n),
    packetsReceived: all.subarray(4 * n, 5 * n),
    retransmits: all.subarray(5 * n, 6 * n),
    srttUs: all.subarray(6 * n, 7 * n),
  };
}

/** The columns read byte by byte (little-endian), no view made. */
function readSmall(b: Uint8Array, n: number, all: Float64Array): void {
  let p = BLOB_HEADER;
  for (let k = 0; k < COLUMNS.length; k++) {
    const w = b[1 + k];
    const to = k * n;
    for (let i = 0, q = p; i < n; i++, q += w) {
      let v: number;
      if (w === 1) v = b[q] === 0xff ? NaN : b[q];
      else if (w === 2) {
        v = b[q] | (b[q + 1] << 8);
        if (v === 0xffff) v = NaN;
      } else if (w === 4) {
        v = (b[q] | (b[q + 1] << 8) | (b[q + 2] << 16)) + b[q + 3] * 0x1000000;
        if (v === 0xffffffff) v = NaN;
      } else {
        for (let j = 0; j < 8; j++) scratchBytes[j] = b[q + j];
        v = scratch[0];
      }
      all[to + i] = v;
    }
    p += pad8(n * w);
  }
}

/** The columns read through typed-array views of an aligned copy of the blob (or of the
 * blob itself when it happens to be aligned). */
function readViews(bytes: Uint8Array, n: number, all: Float64Array): void {
  const blob = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  let start = blob.byteOffset + BLOB_HEADER;
  for (let k = 0; k < COLUMNS.length; k++) {
    const w = blob[1 + k];
    const out = all.subarray(k * n, (k + 1) * n);
    if (w === 8) out.set(new Float64Array(blob.buffer, start, n));
    else if (w === 1) widen(new Uint8Array(blob.buffer, start, n), 0xff, out);
    else if (w === 2) widen(new Uint16Array(blob.buffer, start, n), 0xffff, out);
    else widen(new Uint32Array(blob.buffer, start, n), 0xffffffff, out);
    start += pad8(n * w);
  }
}

function widen(from: Uint8Array | Uint16Array | Uint32Array, nullValue: number, to: Float64Array): void {
  for (let i = 0; i < from.length; i++) {
    const v = from[i];
    to[i] = v === nullValue ? NaN : v;
  }
}

/** A `counters` snapshot (the live capture's form) as columns. */
export function countersToColumns(flows: CountersEvent['flows']): CounterColumns {
  const n = flows.length;
  const c: CounterColumns = {
    length: n,
    flowId: new Float64Array(n),
    bytesSent: new Float64Array(n),
    bytesReceived: new Float64Array(n),
    packetsSent: new Float64Array(n),
    packetsReceived: new Float64Array(n),
    retransmits: new Float64Array(n),
    srttUs: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const f = flows[i];
    for (const k of COLUMNS) c[k][i] = f[k] ?? NaN;
  }
  return c;
}

/** The entries of columns as objects (the `counters` form): for tests and tools that
 * compare a replay with what was written. */
export function columnsToCounters(c: CounterColumns): CountersEvent['flows'] {
  const orNull = (v: number) => (v !== v ? null : v);
  return Array.from({ length: c.length }, (_, i) => ({
    flowId: c.flowId[i],
    bytesSent: c.bytesSent[i],
    bytesReceived: c.bytesReceived[i],
    packetsSent: orNull(c.packetsSent[i]),
    packetsReceived: orNull(c.packetsReceived[i]),
    retransmits: orNull(c.retransmits[i]),
    srttUs: orNull(c.srttUs[i]),
  }));
}
