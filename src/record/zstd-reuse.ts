// One zstd compression context kept for a writer's whole life. zlib.zstdCompressSync
// builds a stream object and a fresh zstd context (its tables, about 1 MB at level 1) for
// every call, then frees them: under connection churn `record` compresses ~17 frames a
// second, and that setup plus compressing into cold, new memory was a fifth of its
// compression time (docs/performance.md). Here the context and the output buffer stay;
// a zstd context starts a new frame after each ZSTD_e_end by itself, so the bytes are
// exactly what zstdCompressSync gives (test/unit/zstd-reuse.test.ts).
//
// Reading, the same for decompression (ZstdDecompressReuse): zstdDecompressSync's setup was
// most of what a small frame cost (demo.ssrec: 13 frames, about 60 us each of setup).
//
// It drives node:zlib's native handle directly (`_handle.writeSync`, `_writeState`), as
// zlib's own synchronous path does: undocumented, so anything unexpected (another Node,
// an error from the handle) drops back to zstdCompressSync for good.
//
// zstd's experimental parameters (ZstdReuse's `advanced`: `record` stores literals raw)
// are not among those node:zlib's options accept (it refuses a key above its last named
// one, ZSTD_c_overlapLog), but its native init() hands every entry of the parameter array
// it is given to ZSTD_CCtx_setParameter: the handle is initialised a second time with an
// array long enough to hold them (init() replaces the context, freeing the first). Every
// new handle gets them (after close(), or another Node's fallback has none: its frames
// are standard zstd all the same).
import * as zlib from 'node:zlib';
import { zstdFrameComplete } from './zstd-frame';

interface ZstdHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  close(): void;
  reset(): void;
  init(params: Uint32Array, pledgedSrcSize: number | undefined, writeState: Uint32Array, writeCallback: () => void): void;
}

type Engine = (zlib.ZstdCompress | zlib.ZstdDecompress) & { _handle?: ZstdHandle | null; _writeState?: Uint32Array };

/** A parameter left at zstd's default in a native init()'s array. */
const UNSET = 0xffffffff;

/** A zlib zstd stream kept only for its native handle and the handle's [availOut, availIn]
 * state; both classes below hold one. */
class NativeZstd {
  engine: Engine | null = null;
  handle: ZstdHandle | null = null;
  state: Uint32Array | null = null;
  failed: unknown = null;
  /** The handle path turned out unusable (another Node): never tried again. */
  broken = false;

  /** Whether a handle is ready, making one with `create` if needed. `params` (parameter
   * id: value), when given, are all of the context's parameters, set by initialising the
   * handle again (see the top of this file): for parameters node:zlib's options refuse. */
  open(create: () => Engine, params: Readonly<Record<number, number>> | null = null): boolean {
    if (this.handle !== null) return true;
    if (this.broken) return false;
    const engine = create();
    const handle = engine._handle;
    const state = engine._writeState;
    // The handle reports errors through the stream's 'error' event.
    engine.on('error', (err) => (this.failed = err));
    if (!handle || typeof handle.writeSync !== 'function' || typeof handle.reset !== 'function' || !(state instanceof Uint32Array) || state.length < 2 || (params !== null && !this.initWith(handle, state, params))) {
      engine.close();
      this.failed = null;
      this.broken = true;
      return false;
    }
    this.engine = engine;
    this.handle = handle;
    this.state = state;
    return true;
  }

  /** Initialises the handle again, with `params`; false if it or zstd refuses them. */
  private initWith(handle: ZstdHandle, state: Uint32Array, params: Readonly<Record<number, number>>): boolean {
    if (typeof handle.init !== 'function') return false;
    const keys = Object.keys(params).map(Number);
    const all = new Uint32Array(Math.max(0, ...keys) + 1).fill(UNSET);
    for (const k of keys) all[k] = params[k];
    try {
      // pledgedSrcSize undefined: unknown, as the stream's own init had it. The callback is
      // only for the asynchronous write(), which this class never calls.
      handle.init(all, undefined, state, () => {});
    } catch {
      return false; // zstd refused a parameter (another zstd), or another Node
    }
    return this.failed === null;
  }

  /** Throws if the last writeSync failed: an error destroys the stream, which closes the
   * handle right away (the 'error' event itself comes later). */
  check(handle: ZstdHandle, what: string): void {
    if (this.engine?._handle !== handle || this.failed !== null) throw this.failed ?? new Error(what);
  }

  drop(): void {
    this.engine?.close();
    this.engine = null;
    this.handle = null;
    this.state = null;
    this.failed = null;
  }
}

/** zstd's experimental compression parameters used here (zstd.h, ZSTD_STATIC_LINKING_ONLY;
 * ids of zstd 1.5, which Node 22-24 bundle: a zstd that refuses them leaves the writer
 * on zstdCompressSync, without them). */
export const ZSTD_ADVANCED = {
  /** ZSTD_c_literalCompressionMode (ZSTD_c_experimentalParam5): whether literals are
   * Huffman-coded. */
  literalCompressionMode: 1002,
  /** Its value ZSTD_ps_disable: literals stored raw. */
  psDisable: 2,
} as const;

export class ZstdReuse {
  private readonly z = new NativeZstd();
  private out = Buffer.allocUnsafe(64 * 1024);
  /** `params` and `advanced` together, or null without `advanced`. */
  private readonly all: Readonly<Record<number, number>> | null;

  /** `params`: as node:zlib's options take them. `advanced`: zstd's experimental
   * parameters, which node:zlib's options refuse (ZSTD_ADVANCED below), set on the context
   * directly; the fallback (zstdCompressSync) compresses without them. */
  constructor(
    private readonly params: Readonly<Record<number, number>>,
    advanced: Readonly<Record<number, number>> = {},
  ) {
    this.all = Object.keys(advanced).length > 0 ? { ...params, ...advanced } : null;
  }

  /** zstd of `raw`: a view of a buffer this object reuses, valid until the next call. */
  compress(raw: Uint8Array): Buffer {
    if (this.z.open(() => zlib.createZstdCompress({ params: this.params }) as Engine, this.all)) {
      try {
        return this.compressWith(this.z.handle!, this.z.state!, raw);
      } catch {
        this.z.drop(); // a failed frame leaves the context mid-frame: never reuse it
        this.z.broken = true;
      }
    }
    return zlib.zstdCompressSync(raw, { chunkSize: Math.max(zlib.constants.Z_MIN_CHUNK, raw.length >> 2), params: this.params });
  }

  /** Whether the handle path is in use (tests). */
  get reusing(): boolean {
    return this.z.handle !== null && !this.z.broken;
  }

  /** Frees the context (the writer's close). */
  close(): void {
    this.z.drop();
  }

  private compressWith(handle: ZstdHandle, state: Uint32Array, raw: Uint8Array): Buffer {
    // zstd's bound for one frame is n + n/256 + a little: room for it in one call.
    const bound = raw.length + (raw.length >> 7) + 1024;
    if (this.out.length < bound) this.out = Buffer.allocUnsafe(bound);
    let inOff = 0;
    let outOff = 0;
    for (;;) {
      handle.writeSync(zlib.constants.ZSTD_e_end, raw, inOff, raw.length - inOff, this.out, outOff, this.out.length - outOff);
      this.z.check(handle, 'zstd compression failed');
      const availOut = state[0];
      const availIn = state[1];
      inOff = raw.length - availIn;
      outOff = this.out.length - availOut;
      if (availOut > 0) break; // ZSTD_e_end with room left: the frame is complete
      const bigger = Buffer.allocUnsafe(this.out.length * 2);
      this.out.copy(bigger, 0, 0, outOff);
      this.out = bigger;
    }
    if (inOff !== raw.length) throw new Error('zstd left input unread');
    return this.out.subarray(0, outOff);
  }
}

/** One zstd decompression context for every frame read. decompress() gives the frame's
 * bytes, or null whenever anything is off (damage, a length that does not match, an error
 * from the handle, another Node): the caller then decodes the frame the old way, which
 * reports the damage as it always did. One frame's state never reaches the next: a frame
 * that ended at a frame boundary (zstd-frame.ts) leaves the context ready for the next
 * frame, as zstd's streaming API does; any other is followed by a reset. */
export class ZstdDecompressReuse {
  private readonly z = new NativeZstd();

  decompress(payload: Uint8Array, rawLength: number): Buffer | null {
    if (rawLength === 0 || !this.z.open(() => zlib.createZstdDecompress() as Engine)) return null;
    const out = Buffer.allocUnsafe(rawLength);
    try {
      const handle = this.z.handle!;
      handle.writeSync(zlib.constants.ZSTD_e_end, payload, 0, payload.length, out, 0, rawLength);
      this.z.check(handle, 'zstd frame damaged');
      const ok = this.z.state![0] === 0 && this.z.state![1] === 0; // all of the input, exactly rawLength out
      // A whole frame that declared rawLength bytes and decoded into them without error
      // ended the frame: zstd starts the next one by itself, as the compressor does. Only
      // otherwise is the context reset (a fresh context in node:zlib: ~15 us a frame).
      if (!ok || !zstdFrameComplete(payload, rawLength)) handle.reset();
      return ok ? out : null;
    } catch {
      this.z.drop(); // after an error the context is not trusted again: a new one next frame
      return null;
    }
  }

  get reusing(): boolean {
    return this.z.handle !== null && !this.z.broken;
  }
}
