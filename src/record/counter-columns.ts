// Counter snapshots as columns (format version 4, docs/recording-format.md): a
// `counters` event is stored as one `packed-counters` event whose `bytes` hold its entries
// column by column, each column in the narrowest width that holds its values. A long
// capture is mostly counter snapshots (2,000 moving flows are 2,000 entries a second):
// as msgpack each entry was an object to decode, check, apply and collect; as columns a
// snapshot is read with a DataView into one Float64Array and applied in one loop.
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

/** The columns of a blob, or what is wrong with it (a file is untrusted input). */
export function decodeCounterColumns(bytes: Uint8Array): CounterColumns | string {
  if (bytes.length < BLOB_HEADER) return 'packed counters shorter than their header';
  if (bytes[0] !== BLOB_LAYOUT) return `packed counters of unknown layout ${bytes[0]}`;
  const widths = Array.from(bytes.subarray(1, 1 + COLUMNS.length));
  const bad = widths.find((w) => w !== 1 && w !== 2 && w !== 4 && w !== 8);
  if (bad !== undefined) return `packed counters with a column of width ${bad}`;
  const n = bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (bytes[11] * 2 ** 24);
  if (n > MAX_PACKED_ENTRIES) return `packed counters of ${n} entries (at most ${MAX_PACKED_ENTRIES})`;
  const need = blobLength(n, widths);
  if (bytes.length !== need) return `packed counters of ${bytes.length} bytes, ${n} entries need ${need}`;
  // A copy at offset 0 of its own buffer: every column is aligned for its typed array.
  const blob = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  // Narrow columns are widened into one Float64Array, their all-ones value into NaN;
  // float64 columns are read in place (NaN is null already).
  const converted = new Float64Array(widths.reduce((a, w) => a + (w === 8 ? 0 : n), 0));
  const cols: Float64Array[] = [];
  let start = blob.byteOffset + BLOB_HEADER;
  let widened = 0;
  for (const w of widths) {
    if (w === 8) cols.push(new Float64Array(blob.buffer, start, n));
    else {
      const out = new Float64Array(converted.buffer, 8 * n * widened++, n);
      if (w === 1) widen(new Uint8Array(blob.buffer, start, n), 0xff, out);
      else if (w === 2) widen(new Uint16Array(blob.buffer, start, n), 0xffff, out);
      else widen(new Uint32Array(blob.buffer, start, n), 0xffffffff, out);
      cols.push(out);
    }
    start += pad8(n * w);
  }
  return { length: n, flowId: cols[0], bytesSent: cols[1], bytesReceived: cols[2], packetsSent: cols[3], packetsReceived: cols[4], retransmits: cols[5], srttUs: cols[6] };
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
