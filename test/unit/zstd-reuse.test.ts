import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { ZSTD_ADVANCED, ZstdDecompressReuse, ZstdReuse } from '../../src/record/zstd-reuse';
import { literalsTypes } from '../replay/zstd-literals';

const PARAMS = { [zlib.constants.ZSTD_c_compressionLevel]: 1 };

/** Frames like a recording's: repetitive records, a small one, an incompressible one. */
function frames(): Buffer[] {
  const record = Buffer.alloc(180);
  for (let i = 0; i < record.length; i++) record[i] = (i * 37) & 0xff;
  const runs = (n: number) => {
    const b = Buffer.alloc(n * 180);
    for (let i = 0; i < n; i++) {
      record.copy(b, i * 180);
      b.writeUInt32LE(i, i * 180 + 8); // a flow id that moves
    }
    return b;
  };
  return [runs(1000), Buffer.from('small frame'), randomBytes(300_000), runs(20), Buffer.alloc(0), runs(3000)];
}

describe('ZstdReuse', () => {
  it('gives the bytes zstdCompressSync gives, frame after frame, through one context', () => {
    const z = new ZstdReuse(PARAMS);
    for (let pass = 0; pass < 2; pass++) {
      for (const raw of frames()) {
        const out = Buffer.from(z.compress(raw));
        expect(z.reusing).toBe(true); // not the fallback
        expect(out.equals(zlib.zstdCompressSync(raw, { params: PARAMS }))).toBe(true);
        expect(zlib.zstdDecompressSync(out).equals(raw)).toBe(true);
      }
    }
    z.close();
  });

  it('keeps the level it was given', () => {
    const raw = frames()[0];
    const z1 = new ZstdReuse(PARAMS);
    const z6 = new ZstdReuse({ [zlib.constants.ZSTD_c_compressionLevel]: 6 });
    z1.compress(raw);
    z6.compress(raw);
    // The second frame too: a reset would have dropped the parameters.
    expect(z1.compress(raw).equals(zlib.zstdCompressSync(raw, { params: PARAMS }))).toBe(true);
    expect(z6.compress(raw).equals(zlib.zstdCompressSync(raw, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 6 } }))).toBe(true);
    z1.close();
    z6.close();
  });

  it('compresses again after close', () => {
    const z = new ZstdReuse(PARAMS);
    const raw = frames()[0];
    z.compress(raw);
    z.close();
    expect(zlib.zstdDecompressSync(z.compress(raw)).equals(raw)).toBe(true);
    z.close();
  });
});

describe('ZstdReuse with zstd experimental parameters', () => {
  const RAW_LITERALS = { [ZSTD_ADVANCED.literalCompressionMode]: ZSTD_ADVANCED.psDisable };
  /** Records whose changing bytes (a third of each) are small numbers: literals that
   * Huffman coding shrinks, as a kernel-records run's times, ids and counters. */
  const varied = (n: number, seed: number) => {
    const b = Buffer.alloc(n * 180);
    let x = seed;
    for (let i = 0; i < b.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      b[i] = i % 180 < 60 ? (x >>> 16) & 0x0f : i % 180;
    }
    return b;
  };
  /** The literals types of the compressed blocks of every frame of frames() and two more. */
  const literalsOf = (z: ZstdReuse) => [...frames(), varied(1000, 1), varied(300, 2)].flatMap((raw) => {
    const out = Buffer.from(z.compress(raw));
    expect(zlib.zstdDecompressSync(out).equals(raw)).toBe(true);
    return literalsTypes(out);
  });

  it('stores literals raw with ZSTD_c_literalCompressionMode = ZSTD_ps_disable, frame after frame and after close', () => {
    const z = new ZstdReuse(PARAMS, RAW_LITERALS);
    for (let pass = 0; pass < 3; pass++) {
      const types = literalsOf(z);
      expect(z.reusing).toBe(true); // not the fallback, which cannot set the parameter
      expect(types.length).toBeGreaterThan(2);
      expect(types.every((t) => t === 'raw' || t === 'rle')).toBe(true);
      if (pass === 1) z.close(); // a new context gets the parameter too
    }
    z.close();
    // Without it level 1 Huffman-codes them (what makes the check above mean something).
    const plain = new ZstdReuse(PARAMS);
    expect(literalsOf(plain).filter((t) => t === 'compressed' || t === 'treeless').length).toBeGreaterThan(1);
    plain.close();
  });

  it('keeps its level beside the parameter', () => {
    const raw = varied(500, 3);
    const size = (level: number, advanced = {}) => {
      const z = new ZstdReuse({ [zlib.constants.ZSTD_c_compressionLevel]: level }, advanced);
      const n = z.compress(raw).length;
      z.close();
      return n;
    };
    // Level 1 and level 19, both with raw literals, differ (the re-initialised context did
    // not fall back to zstd's default level 3 either).
    expect(size(1, RAW_LITERALS)).not.toBe(size(19, RAW_LITERALS));
    expect(size(1, RAW_LITERALS)).not.toBe(size(3, RAW_LITERALS));
  });

  it('falls back to zstdCompressSync, without them, when zstd refuses a parameter', async () => {
    const z = new ZstdReuse(PARAMS, { [ZSTD_ADVANCED.literalCompressionMode]: 7 }); // out of bounds
    const raw = frames()[0];
    const out = Buffer.from(z.compress(raw));
    expect(z.reusing).toBe(false);
    expect(out.equals(zlib.zstdCompressSync(raw, { params: PARAMS }))).toBe(true);
    await new Promise((r) => setTimeout(r, 10)); // the refused init's 'error' event is handled
    expect(Buffer.from(z.compress(raw)).equals(out)).toBe(true);
    z.close();
  });
});

describe('ZstdDecompressReuse', () => {
  const raws = frames();
  const packed = raws.map((r) => zlib.zstdCompressSync(r, { params: PARAMS }));

  it('decodes frame after frame through one context', () => {
    const d = new ZstdDecompressReuse();
    for (let pass = 0; pass < 2; pass++) {
      raws.forEach((raw, i) => {
        const out = d.decompress(packed[i], raw.length);
        if (raw.length === 0) return expect(out).toBe(null); // nothing to decode: the old path
        expect(d.reusing).toBe(true);
        expect(out?.equals(raw)).toBe(true);
      });
    }
  });

  it('gives null for damage or a wrong length, and decodes the next frame right', () => {
    const d = new ZstdDecompressReuse();
    const raw = raws[0];
    const good = packed[0];
    const flipped = Buffer.from(good);
    flipped[flipped.length >> 1] ^= 0xff;
    const cases: Array<[Buffer, number]> = [
      [good.subarray(0, good.length - 10), raw.length], // cut short
      [good, raw.length - 1], // says less than it holds
      [good, raw.length + 1], // says more
      [Buffer.concat([good, good]), raw.length], // a second frame after the first
      [Buffer.from('not zstd at all, not zstd at all'), 32],
      [flipped, raw.length],
    ];
    for (const [i, [payload, n]] of cases.entries()) {
      const out = d.decompress(payload, n);
      // The flipped byte may decode (frames carry no zstd checksum: the file's CRC-32
      // guards them), but never to the frame's bytes; the rest are refused.
      if (i === cases.length - 1 && out !== null) expect(out.equals(raw)).toBe(false);
      else expect(out, `case ${i}`).toBe(null);
      expect(d.decompress(good, raw.length)?.equals(raw)).toBe(true);
    }
  });
});
