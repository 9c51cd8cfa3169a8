import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { ZSTD_LEVEL_ADVANCED } from '../../src/record/codec';
import { zstdFrameComplete } from '../../src/record/zstd-frame';
import { ZstdDecompressReuse, ZstdReuse } from '../../src/record/zstd-reuse';

const LEVEL1 = { [zlib.constants.ZSTD_c_compressionLevel]: 1 };
const raws = [Buffer.from('x'), Buffer.alloc(300, 7), Buffer.from('a recording frame '.repeat(200)), randomBytes(200_000), Buffer.alloc(70_000, 1)];

/** zstd of `raw` written to a stream in two parts: its header cannot declare the size. */
function unsized(raw: Buffer): Promise<Buffer> {
  const z = zlib.createZstdCompress();
  const out: Buffer[] = [];
  z.on('data', (b: Buffer) => out.push(b));
  return new Promise((resolve) => {
    z.on('end', () => resolve(Buffer.concat(out)));
    z.write(raw.subarray(0, raw.length >> 1), () => z.end(raw.subarray(raw.length >> 1)));
  });
}

describe('zstdFrameComplete', () => {
  it('is true for a whole frame that declares the length, as node:zlib and the writer make them', () => {
    const writer = new ZstdReuse(LEVEL1);
    const record = new ZstdReuse(LEVEL1, ZSTD_LEVEL_ADVANCED); // raw literals, as `record` writes
    for (const raw of raws) {
      expect(zstdFrameComplete(zlib.zstdCompressSync(raw, { params: LEVEL1 }), raw.length)).toBe(true);
      expect(zstdFrameComplete(writer.compress(raw), raw.length)).toBe(true);
      expect(zstdFrameComplete(record.compress(raw), raw.length)).toBe(true);
      const summed = zlib.zstdCompressSync(raw, { params: { ...LEVEL1, [zlib.constants.ZSTD_c_checksumFlag]: 1 } });
      expect(zstdFrameComplete(summed, raw.length)).toBe(true);
      expect(zstdFrameComplete(summed.subarray(0, summed.length - 4), raw.length)).toBe(false); // no checksum
    }
    writer.close();
    record.close();
  });

  it('is false for another length, a cut frame, a frame and more, or no zstd', () => {
    const raw = raws[2];
    const z = zlib.zstdCompressSync(raw, { params: LEVEL1 });
    expect(zstdFrameComplete(z, raw.length + 1)).toBe(false);
    expect(zstdFrameComplete(z, raw.length - 1)).toBe(false);
    for (let cut = 1; cut < z.length; cut++) expect(zstdFrameComplete(z.subarray(0, z.length - cut), raw.length)).toBe(false);
    expect(zstdFrameComplete(Buffer.concat([z, z]), raw.length)).toBe(false);
    expect(zstdFrameComplete(Buffer.concat([z, Buffer.from([0])]), raw.length)).toBe(false);
    expect(zstdFrameComplete(Buffer.from('not zstd at all'), 15)).toBe(false);
    expect(zstdFrameComplete(Buffer.alloc(0), 0)).toBe(false);
  });

  it('is false for a frame that does not declare its content size', async () => {
    const raw = raws[2];
    const z = await unsized(raw);
    expect(zlib.zstdDecompressSync(z).equals(raw)).toBe(true);
    expect(zstdFrameComplete(z, raw.length)).toBe(false);
  });
});

describe('ZstdDecompressReuse across frame boundaries', () => {
  it('decodes a good frame right after one cut before its checksum, or of unknown size', async () => {
    const d = new ZstdDecompressReuse();
    const raw = raws[2];
    const good = zlib.zstdCompressSync(raw, { params: LEVEL1 });
    const summed = zlib.zstdCompressSync(raw, { params: { ...LEVEL1, [zlib.constants.ZSTD_c_checksumFlag]: 1 } });
    const open = await unsized(raw);
    for (const first of [summed.subarray(0, summed.length - 4), summed.subarray(0, summed.length - 2), open, good]) {
      d.decompress(first, raw.length);
      for (const next of raws) expect(d.decompress(zlib.zstdCompressSync(next, { params: LEVEL1 }), next.length)?.equals(next)).toBe(true);
    }
  });
});
