// How a frame's records become bytes and back: msgpackr with every option that matters
// set explicitly (never library defaults, which may change between versions), then a
// compression codec. Writer and reader share this file so they cannot disagree.
import { Packr, Unpackr, type Options } from 'msgpackr';
import * as zlib from 'node:zlib';
import { Codec } from './format';
import { ZSTD_ADVANCED, ZstdDecompressReuse, ZstdReuse } from './zstd-reuse';

const MSGPACK_OPTIONS: Options = {
  // Records (msgpackr's structure extension) make repeated object shapes cheap. Each frame
  // is one pack() call; its structures are defined inside it (format versions 1 and 2, and
  // header and end frames), or (event frames from version 3 on) shared by the whole file:
  // FileStructures below.
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

export function unpackValue(bytes: Uint8Array): unknown {
  return unpackr.unpack(bytes);
}

/** Record structures one file shares (format version 3): at most this many, with one-byte
 * ids (msgpackr's 0x40-0x5f); a frame defines any further shape inside itself (ids
 * 0x60-0x7f), as in version 2. */
export const MAX_SHARED_STRUCTURES = 32;
/** Bounds on a structure read from a file (it is untrusted input): an event type has
 * about 20 fields with names of a few characters. */
const MAX_STRUCTURE_KEYS = 64;
const MAX_KEY_LENGTH = 64;

const SHARED_OPTIONS: Options = { ...MSGPACK_OPTIONS, maxSharedStructures: MAX_SHARED_STRUCTURES, maxOwnStructures: 32 };

/** Packs a file's event frames with record structures defined once per file (format
 * version 3): msgpackr then compiles one reader per shape for the whole replay instead of
 * one per shape and frame (each new reader starts cold: most of a small frame's decoding).
 * A frame that brings new shapes makes `changed()` true; the writer then stores the table
 * (structures()) in a structures frame before that event frame. */
export class FramePacker {
  private readonly table: string[][];
  private grew: boolean;
  private readonly packr: Packr;
  private buffer = Buffer.allocUnsafe(1 << 20);

  /** `table`: the structures to start with (a re-encoder that knows every shape of the file
   * gives them all, so the file has one structures frame); changed() is true until the
   * first pack() when it is not empty. */
  constructor(table: readonly (readonly string[])[] = []) {
    this.table = table.map((keys) => [...keys]);
    this.grew = this.table.length > 0;
    this.packr = new Packr({ ...SHARED_OPTIONS, structures: this.table as never, saveStructures: () => void (this.grew = true) });
  }

  /** msgpack of the events, valid until the next pack (it is packed into a buffer kept
   * from one frame to the next: otherwise msgpackr grows a new one, up to 4x the frame, again
   * and again, and a burst of frames leaves tens of MB of them for the GC). */
  pack(events: unknown): Buffer {
    this.packr.useBuffer(this.buffer);
    const out = this.packr.pack(events);
    if (out.buffer !== this.buffer.buffer && out.buffer.byteLength > this.buffer.length) this.buffer = Buffer.from(out.buffer as ArrayBuffer);
    return out;
  }

  /** Whether the last pack() added shared structures (once per new shape and file). */
  changed(): boolean {
    const grew = this.grew;
    this.grew = false;
    return grew;
  }

  /** The shared structures so far: each the keys of one object shape, in order. */
  structures(): string[][] {
    return this.table.map((keys) => [...keys]);
  }
}

/** The table of a structures frame, checked (a file is untrusted input: anything but an
 * array of short arrays of short strings is damage), or what is wrong with it. */
export function checkStructures(v: unknown): string[][] | string {
  if (!Array.isArray(v) || v.length > MAX_SHARED_STRUCTURES) return 'the structures frame is not a table of at most 32 structures';
  for (let i = 0; i < v.length; i++) {
    const keys: unknown = v[i];
    if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_STRUCTURE_KEYS || !keys.every((k) => typeof k === 'string' && k.length > 0 && k.length <= MAX_KEY_LENGTH)) {
      return `structure #${i} is malformed`;
    }
  }
  return v as string[][];
}

/** Structures seen in tables so far, by their keys: msgpackr keeps a shape's compiled
 * reader on the structure itself, so a table that repeats a known shape (the next
 * structures frame, the next file) reuses its reader, already warm. */
const knownStructures = new Map<string, string[]>();
const MAX_KNOWN_STRUCTURES = 1024;

function knownStructure(keys: string[]): string[] {
  const id = JSON.stringify(keys);
  let s = knownStructures.get(id);
  if (s === undefined) {
    if (knownStructures.size >= MAX_KNOWN_STRUCTURES) knownStructures.clear();
    s = [...keys];
    knownStructures.set(id, s);
  }
  return s;
}

/** Decodes the event frames that follow a structures frame with its table. */
export function sharedUnpacker(table: string[][]): (bytes: Uint8Array) => unknown {
  return unpackerOf(table.map(knownStructure));
}

/** An Unpackr of its own for each table in use: msgpackr may write into its structures
 * array (a frame that defines a shape in place), so only the shapes are shared. */
function unpackerOf(known: string[][]): (bytes: Uint8Array) => unknown {
  const u = new Unpackr({ ...SHARED_OPTIONS, structures: [...known] as never });
  return (bytes) => u.unpack(bytes);
}

/** Structures frames seen, by their bytes: their checked tables' known structures. A
 * file repeats its tables' beginnings, a replay of the same file (the TUI's restart, the
 * replay benchmark) all of them; unpacking, checking and looking up each table again was
 * half of what opening one cost (about 10 us of 20 in demo.ssrec's three). */
const knownTables = new Map<string, string[][]>();
const MAX_KNOWN_TABLES = 64;
/** Larger tables (a writer defines a few hundred bytes of them) are not kept. */
const MAX_KNOWN_TABLE_BYTES = 4096;

/** The unpacker of the event frames after a structures frame whose (decoded) payload is
 * `bytes`, or what is wrong with its table (checkStructures). */
export function structuresUnpacker(bytes: Buffer): ((bytes: Uint8Array) => unknown) | string {
  const id = bytes.toString('latin1');
  let known = bytes.length <= MAX_KNOWN_TABLE_BYTES ? knownTables.get(id) : undefined;
  if (known === undefined) {
    let table: string[][] | string;
    try {
      table = checkStructures(unpackValue(bytes));
    } catch {
      table = checkStructures(undefined);
    }
    if (typeof table === 'string') return table;
    known = table.map(knownStructure);
    if (bytes.length <= MAX_KNOWN_TABLE_BYTES) {
      if (knownTables.size >= MAX_KNOWN_TABLES) knownTables.clear();
      knownTables.set(id, known);
    }
  }
  return unpackerOf(known);
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
      // The output chunk sized for the expected result (frames compress about 10:1) rather
      // than zlib's 64 KiB: a fresh buffer per frame that V8 counts towards its heap limits.
      return zlib.zstdCompressSync(raw, { chunkSize: Math.max(zlib.constants.Z_MIN_CHUNK, raw.length >> 2), params: ZSTD_PARAMS });
  }
}

/** Level 1: on kernel-records runs both faster (1.5x) and smaller than level 3
 * (docs/recording-format.md). */
export const ZSTD_LEVEL = 1;
const ZSTD_PARAMS = { [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL };

/** At ZSTD_LEVEL the writer stores literals raw, without zstd's Huffman coding
 * (ZSTD_c_literalCompressionMode = ZSTD_ps_disable): in a kernel-records run most bytes are
 * matches, and Huffman-coding the rest was a large part of level 1's time; raw literals cost
 * about 12% more bytes for 15-23% less zstd time, 0.89 of `record`'s CPU per connection
 * (docs/recording-format.md). The frames are standard zstd: readers need nothing new. */
export const ZSTD_LEVEL_ADVANCED: Readonly<Record<number, number>> = { [ZSTD_ADVANCED.literalCompressionMode]: ZSTD_ADVANCED.psDisable };

/** compress() for one writer's frames, one after another: zstd keeps its context from
 * frame to frame (zstd-reuse.ts), less CPU than a context per frame. The result is valid
 * until the next call. `zstdLevel`: another level than ZSTD_LEVEL (readers do not care
 * which), with zstd's own literal coding. */
export class FrameCompressor {
  private readonly zstd: ZstdReuse | null;

  constructor(
    readonly codec: Codec,
    zstdLevel = ZSTD_LEVEL,
  ) {
    const level = { [zlib.constants.ZSTD_c_compressionLevel]: zstdLevel };
    this.zstd = codec === Codec.Zstd ? new ZstdReuse(level, zstdLevel === ZSTD_LEVEL ? ZSTD_LEVEL_ADVANCED : {}) : null;
  }

  compress(raw: Buffer): Buffer {
    return this.zstd ? this.zstd.compress(raw) : compress(this.codec, raw);
  }

  close(): void {
    this.zstd?.close();
  }
}

/** The context every zstd frame read is decoded with (reads are synchronous, one frame
 * at a time, so readers can share it). */
const zstdFrames = new ZstdDecompressReuse();

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
      out = zstdFrames.decompress(payload, rawLength) ?? zlib.zstdDecompressSync(payload, opts);
      break;
    default:
      throw new Error(`unknown codec ${codec as number}`);
  }
  if (out.length !== rawLength) throw new Error(`decoded ${out.length} bytes, the frame says ${rawLength}`);
  return out;
}
