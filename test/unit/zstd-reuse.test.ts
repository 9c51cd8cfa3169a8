import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { ZstdReuse } from '../../src/record/zstd-reuse';

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
