// JSON values written as bytes straight into a Buffer, exactly as JSON.stringify writes
// them, for lines built by hand (flow-json-line.ts): no string per value or per line.
import { jsonString } from './json-text';

/** The UTF-8 bytes of jsonString(s) (a fixed part of a line, kept and copied with put). */
export function jsonStringBytes(s: string): Uint8Array {
  return Buffer.from(jsonString(s), 'utf8');
}

/** ASCII text as bytes (member names and the like, kept and copied with put). */
export function asciiBytes(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

/** `src` copied into `b` at `at`; returns where it ends. A short one byte by byte: a call
 * of TypedArray.prototype.set costs more than copying a member name. */
export function put(b: Uint8Array, at: number, src: Uint8Array): number {
  const n = src.length;
  if (n > 48) {
    b.set(src, at);
    return at + n;
  }
  for (let i = 0; i < n; i++) b[at + i] = src[i];
  return at + n;
}

/** `s` (ASCII) written at `at`; returns where it ends. */
export function asciiAt(b: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[at++] = s.charCodeAt(i);
  return at;
}

/** jsonString(s) as UTF-8 at `at`: printable ASCII without `"` and `\\` (addresses) written
 * as it is, anything else as JSON.stringify writes it. */
export function jsonStringAt(b: Buffer, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return at + b.write(JSON.stringify(s), at, 'utf8');
  }
  b[at++] = 0x22;
  for (let i = 0; i < s.length; i++) b[at++] = s.charCodeAt(i);
  b[at++] = 0x22;
  return at;
}

/** jsonNumber(n) at `at`, NaN (the flow store's null) written as null. A whole number
 * below 2^31 (ports, most counters) in int32 arithmetic; others below 2^53 digit by digit
 * in doubles; anything else as JSON.stringify writes it. */
export function numberAt(b: Uint8Array, at: number, n: number): number {
  if (n >= 0 && n <= 0x7fffffff && (n | 0) === n) {
    let v = n | 0;
    if (v < 10) {
      b[at] = 0x30 + v;
      return at + 1;
    }
    const digits = v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
    for (let i = at + digits - 1; i >= at; i--) {
      const q = (v / 10) | 0;
      b[i] = 0x30 + v - q * 10;
      v = q;
    }
    return at + digits;
  }
  return otherNumberAt(b, at, n);
}

function otherNumberAt(b: Uint8Array, at: number, n: number): number {
  if (!Number.isFinite(n)) return asciiAt(b, at, 'null');
  if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n)) return asciiAt(b, at, `${n}`);
  let digits = 1;
  for (let p = 10; p <= n && digits < 16; p *= 10) digits++;
  let v = n;
  for (let i = at + digits - 1; i >= at; i--) {
    const q = Math.floor(v / 10);
    b[i] = 0x30 + (v - q * 10);
    v = q;
  }
  return at + digits;
}

/** Fixed bytes of a line (a member name, a cached head) with their 8-byte pieces as the
 * doubles those bytes are, written by putPiece with one 8-byte store each: copying them a
 * byte at a time was most of writing a line. A piece whose bytes make a NaN somewhere (never
 * printable ASCII: its top byte would be 0x7f or 0xff) keeps words null and is copied
 * as bytes: a NaN's bits need not survive a load and a store. */
export class Piece {
  readonly length: number;
  /** The doubles at byte 0, 8, ..., and the last one at length - 8 (it overlaps the one
   * before: the same bytes written twice, none past the end); null when length < 8. */
  readonly words: Float64Array | null;

  constructor(readonly bytes: Uint8Array) {
    this.length = bytes.length;
    this.words = bytes.length < 8 ? null : pieceWords(bytes);
  }
}

function pieceWords(bytes: Uint8Array): Float64Array | null {
  const n = bytes.length;
  const whole = Math.ceil(n / 8);
  const words = new Float64Array(whole);
  const view = new DataView(bytes.buffer, bytes.byteOffset, n);
  for (let i = 0; i < whole - 1; i++) words[i] = view.getFloat64(8 * i, true);
  words[whole - 1] = view.getFloat64(n - 8, true);
  for (let i = 0; i < whole; i++) if (Number.isNaN(words[i])) return null;
  return words;
}

/** `p`'s bytes written into `b` (whose DataView is `v`) at `at`; returns where they end. */
export function putPiece(b: Uint8Array, v: DataView<ArrayBufferLike>, at: number, p: Piece): number {
  const w = p.words;
  const n = p.length;
  if (w === null) return put(b, at, p.bytes);
  const last = w.length - 1;
  for (let i = 0; i < last; i++) v.setFloat64(at + 8 * i, w[i], true);
  v.setFloat64(at + n - 8, w[last], true);
  return at + n;
}
