// The recording file layout (docs/recording-format.md is the prose version; keep both in
// step). Pure: constants, frame header encode/decode and checks; no I/O.
import { crc32 } from 'node:zlib';

/** "\x89SSREC\r\n": the high byte and CR LF catch 7-bit and newline-translating copies,
 * as PNG's signature does. */
export const MAGIC = Buffer.from([0x89, 0x53, 0x53, 0x52, 0x45, 0x43, 0x0d, 0x0a]);
/** The format this build writes. Readers accept 1..FORMAT_VERSION. */
export const FORMAT_VERSION = 5;
/** The first version with kernel-records runs. */
export const KERNEL_RECORDS_VERSION = 2;
/** The first version with structures frames (record shapes shared by the file's frames). */
export const SHARED_STRUCTURES_VERSION = 3;
/** The first version whose counter snapshots are packed as columns (src/record/counter-columns.ts). */
export const PACKED_COUNTERS_VERSION = 4;
/** The first version with flow-owner events (an idle inbound flow's owner, named after its open). */
export const FLOW_OWNER_VERSION = 5;
/** magic (8) + version u16 + reserved u16 */
export const PREAMBLE_SIZE = 12;
export const FRAME_HEADER_SIZE = 16;

/** Caps that bound what a reader allocates for one frame, whatever the file says. */
export const MAX_FRAME_PAYLOAD = 8 * 1024 * 1024;
export const MAX_FRAME_RAW = 32 * 1024 * 1024;
export const MAX_HEADER_RAW = 64 * 1024;

export const FrameKind = { Header: 1, Events: 2, End: 3, Structures: 4 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export const Codec = { None: 0, DeflateRaw: 1, Zstd: 2, Brotli: 3, Gzip: 4 } as const;
export type Codec = (typeof Codec)[keyof typeof Codec];

export const CODEC_NAMES: Record<number, string> = { 0: 'none', 1: 'deflate-raw', 2: 'zstd', 3: 'brotli', 4: 'gzip' };

export interface FrameHeader {
  payloadLength: number;
  rawLength: number;
  kind: FrameKind;
  codec: Codec;
}

export function encodePreamble(version = FORMAT_VERSION): Buffer {
  const b = Buffer.alloc(PREAMBLE_SIZE);
  MAGIC.copy(b, 0);
  b.writeUInt16LE(version, 8);
  return b;
}

/** Frame header + payload, with the crc32 covering header fields and payload. */
export function encodeFrame(kind: FrameKind, codec: Codec, rawLength: number, payload: Uint8Array): Buffer {
  return Buffer.concat([encodeFrameHeader(Buffer.alloc(FRAME_HEADER_SIZE), kind, codec, rawLength, payload), payload]);
}

/** The header of the frame of `payload`, written into `h` (FRAME_HEADER_SIZE bytes) and
 * returned: the writer sends it and the payload in one writev, without joining them. */
export function encodeFrameHeader(h: Buffer, kind: FrameKind, codec: Codec, rawLength: number, payload: Uint8Array): Buffer {
  h.writeUInt32LE(payload.length, 0);
  h.writeUInt32LE(rawLength, 4);
  h.writeUInt8(kind, 8);
  h.writeUInt8(codec, 9);
  h.writeUInt16LE(0, 10);
  h.writeUInt32LE(frameCrc(h, payload), 12);
  return h;
}

export function frameCrc(header: Buffer, payload: Uint8Array): number {
  return crc32(payload, crc32(header.subarray(0, 12)));
}

/** Checks what can be checked before reading the payload. Returns a reason or the header. */
export function decodeFrameHeader(h: Buffer): FrameHeader | string {
  const payloadLength = h.readUInt32LE(0);
  const rawLength = h.readUInt32LE(4);
  const kind = h.readUInt8(8);
  const codec = h.readUInt8(9);
  const reserved = h.readUInt16LE(10);
  if (kind < FrameKind.Header || kind > FrameKind.Structures) return `unknown frame kind ${kind}`;
  if (!(codec in CODEC_NAMES)) return `unknown codec ${codec}`;
  if (reserved !== 0) return 'reserved header bytes are not zero';
  if (payloadLength > MAX_FRAME_PAYLOAD) return `frame payload of ${payloadLength} bytes exceeds the ${MAX_FRAME_PAYLOAD} limit`;
  const rawCap = kind === FrameKind.Events ? MAX_FRAME_RAW : MAX_HEADER_RAW;
  if (rawLength > rawCap) return `frame of ${rawLength} decoded bytes exceeds the ${rawCap} limit`;
  if (codec === Codec.None && rawLength !== payloadLength) return 'stored frame length mismatch';
  return { payloadLength, rawLength, kind: kind as FrameKind, codec: codec as Codec };
}
