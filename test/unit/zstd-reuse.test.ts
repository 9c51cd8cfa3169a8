import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { ZstdDecompressReuse, ZstdReuse } from '../../src/record/zstd-reuse';

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
