// How a frame's records become bytes and back: msgpackr with every option that matters
// set explicitly (never library defaults, which may change between versions), then a
// compression codec. Writer and reader share this file so they cannot disagree.
import { Packr, Unpackr, type Options } from 'msgpackr';
import * as zlib from 'node:zlib';
import { Codec } from './format';

const MSGPACK_OPTIONS: Options = {
  // Records (msgpackr's structure extension) make repeated object shapes cheap. Each frame
  // is one pack() call, so its structures are defined inside it and no state crosses
  // frames: any frame decodes on its own.
  useRecords: true,
  structures: undefined,
  maxSharedStructures: 0,
  mapsAsObjects: true,
  // 64-bit integers (a writer may emit uint64 for large counters) decode as JS numbers;
  // our numbers stay below 2^53 (ns of monotonic time, byte counts).
  int64AsType: 'number',
  largeBigIntToFloat: true,
  useFloat32: 0, // never lossy
  moreTypes: false,
  bundleStrings: true, // decodes 2x faster without the native addon (measured: docs/recording-format.md)
  sequential: false,
  structuredClone: false,
  copyBuffers: false,
  useTimestamp32: false,
  encodeUndefinedAsNil: true,
};

const packr = new Packr(MSGPACK_OPTIONS);
const unpackr = new Unpackr(MSGPACK_OPTIONS);

/** msgpack of `value`. The result may share memory with the next call's: use it (compress
 * or copy it) before packing again. */
export function packValue(value: unknown): Buffer {
  return packr.pack(value);
}

/** Where event frames are packed, kept from one frame to the next (grown when a frame
 * needs more): otherwise msgpackr grows a new buffer, up to 4x the frame, again and again,
 * and a burst of frames leaves tens of MB of them for the GC. */
let frameBuffer = Buffer.allocUnsafe(1 << 20);

/** packValue() for an event frame, into frameBuffer. Valid until the next pack. */
export function packFrame(events: unknown): Buffer {
  packr.useBuffer(frameBuffer);
  const out = packr.pack(events);
  if (out.buffer !== frameBuffer.buffer && out.buffer.byteLength > frameBuffer.length) frameBuffer = Buffer.from(out.buffer as ArrayBuffer);
  return out;
}

export function unpackValue(bytes: Uint8Array): unknown {
  return unpackr.unpack(bytes);
}

/** The codec new recordings use; chosen by measurement (docs/recording-format.md).
 * node:zlib has zstd from Node 22.15 on; before that, deflate (same size, slower). */
export const DEFAULT_CODEC: Codec = typeof zlib.zstdCompressSync === 'function' ? Codec.Zstd : Codec.DeflateRaw;

export function compress(codec: Codec, raw: Buffer): Buffer {
  switch (codec) {
    case Codec.None:
      return raw;
    case Codec.DeflateRaw:
      return zlib.deflateRawSync(raw, { level: 6 });
    case Codec.Gzip:
      return zlib.gzipSync(raw, { level: 6 });
    case Codec.Brotli:
      return zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } });
    case Codec.Zstd:
      // Level 1: on kernel-records runs both faster (1.5x) and smaller than level 3
      // (docs/recording-format.md).
      return zlib.zstdCompressSync(raw, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 1 } });
  }
}

/** Decompresses at most `rawLength` bytes (the frame's declared size, itself capped), so
 * a forged frame cannot make the reader allocate without bound. Throws on any damage.
 * The output is one chunk of the declared size: by default zlib fills 16 KiB chunks and
 * concatenates them, which made decompression a third slower. */
export function decompress(codec: Codec, payload: Buffer, rawLength: number): Buffer {
  const opts = { maxOutputLength: Math.max(rawLength, 1), chunkSize: Math.max(rawLength, zlib.constants.Z_MIN_CHUNK) };
  let out: Buffer;
  switch (codec) {
    case Codec.None:
      out = payload;
      break;
    case Codec.DeflateRaw:
      out = zlib.inflateRawSync(payload, opts);
      break;
    case Codec.Gzip:
      out = zlib.gunzipSync(payload, opts);
      break;
    case Codec.Brotli:
      out = zlib.brotliDecompressSync(payload, opts);
      break;
    case Codec.Zstd:
      // node:zlib has zstd from Node 22.15 / 23.8 on; say so rather than "not a function".
      if (typeof zlib.zstdDecompressSync !== 'function') throw new Error(`zstd chunks need Node >= 22.15 (this is ${process.version})`);
      out = zlib.zstdDecompressSync(payload, opts);
      break;
    default:
      throw new Error(`unknown codec ${codec as number}`);
  }
  if (out.length !== rawLength) throw new Error(`decoded ${out.length} bytes, the frame says ${rawLength}`);
  return out;
}
