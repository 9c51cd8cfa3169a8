// Property tests: whatever happens to a recording's bytes, the reader only ever reports
// BadFileError, yields nothing but a prefix of what was written, and finishes.
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BadFileError } from '../../src/errors';
import type { AppEvent } from '../../src/events/types';
import { countersToColumns, encodeCounterColumns } from '../../src/record/counter-columns';
import { Codec, FrameKind, MAX_FRAME_PAYLOAD, encodeFrame } from '../../src/record/format';
import { readAll, tempDir, writeRecording, writeSynthetic } from '../replay/recording-helpers';

const dir = tempDir();
const path = join(dir, 'base.ssrec');
const batches = writeSynthetic(path, { seconds: 4, steadyFlows: 8, churnPerSec: 4 });
const original = readFileSync(path);

/** Reads `bytes` as a recording; returns what was yielded and the damage. Anything
 * thrown that is not a BadFileError fails the property. */
async function readBytes(bytes: Buffer, name: string): Promise<{ opened: boolean; got: AppEvent[][]; damage: BadFileError | null }> {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  try {
    const r = await readAll(p);
    return { opened: true, got: r.batches, damage: r.damage };
  } catch (err) {
    if (!(err instanceof BadFileError)) throw err;
    expect(err.message).not.toContain('\n');
    return { opened: false, got: [], damage: err };
  }
}

function expectPrefix(got: AppEvent[][]): void {
  expect(got.length).toBeLessThanOrEqual(batches.length);
  got.forEach((b, i) => expect(b).toEqual(batches[i]));
}

describe('recording reader under damage', () => {
  it('random truncations: a prefix replays, the rest is reported as BadFileError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: original.length - 1 }), async (len) => {
        const r = await readBytes(original.subarray(0, len), 'trunc.ssrec');
        expectPrefix(r.got);
        expect(r.damage).toBeInstanceOf(BadFileError);
        expect(r.damage!.message).toMatch(/byte \d+/);
      }),
      { numRuns: 150 },
    );
  });

  it('random byte flips: always detected, never more than a prefix yielded', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: original.length - 1 }), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }),
        async (flips) => {
          const b = Buffer.from(original);
          const seen = new Set<number>();
          for (const f of flips) {
            if (seen.has(f.at)) continue; // two flips of one byte could cancel out
            seen.add(f.at);
            b[f.at] ^= f.xor;
          }
          const r = await readBytes(b, 'flip.ssrec');
          expectPrefix(r.got);
          expect(r.damage).toBeInstanceOf(BadFileError);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a flipped format version byte is detected (the header, which is checksummed, repeats it)', async () => {
    for (let version = 0; version < 256; version++) {
      if (version === original[8]) continue;
      const b = Buffer.from(original);
      b[8] = version;
      const r = await readBytes(b, 'version.ssrec');
      expect(r.damage, `version byte ${version}`).toBeInstanceOf(BadFileError);
      expect(r.damage!.message).toMatch(/byte 8|newer than this sockscope/);
    }
  });

  it('random garbage after the preamble never crashes the reader', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 300 }), async (junk) => {
        const r = await readBytes(Buffer.concat([original.subarray(0, 12), Buffer.from(junk)]), 'junk.ssrec');
        expect(r.damage).toBeInstanceOf(BadFileError);
      }),
      { numRuns: 100 },
    );
  });

  it('a malformed packed-counters blob (format 4) is damage naming its chunk, after what came before', async () => {
    const counters = batches[0].find((e) => e.type === 'counters')!;
    const good = encodeCounterColumns(countersToColumns(counters.type === 'counters' ? counters.flows : []));
    const flipped = fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
      const b = Buffer.from(good);
      for (const [at, x] of flips) b[at] ^= x;
      return b;
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 200 }), flipped), async (blob) => {
        const p = join(dir, 'blob.ssrec');
        // Written as a writer of format 4 would store it, with the blob in place.
        writeRecording(p, [batches[0], [{ type: 'packed-counters', ts: 1, bytes: blob } as never, ...batches[1]]]);
        const r = await readAll(p);
        expect(r.batches[0]).toEqual(batches[0]);
        if (r.damage) {
          expect(r.damage.message).toMatch(/: chunk 2 at byte \d+: event #0: packed counters /);
          expect(r.batches).toHaveLength(1);
        } else expect(r.batches[1].slice(1)).toEqual(batches[1]); // a flip that left it valid: other numbers
      }),
      { numRuns: 150 },
    );
  });

  it('does not trust sizes in a frame: oversized claims and decompression bombs are refused', async () => {
    const headerEnd = 12 + 16 + original.readUInt32LE(12); // preamble + header frame: chunk 1 starts here
    const prefix = original.subarray(0, headerEnd);
    // A frame header claiming a payload beyond the cap.
    const huge = Buffer.alloc(16);
    huge.writeUInt32LE(MAX_FRAME_PAYLOAD + 1, 0);
    huge.writeUInt32LE(10, 4);
    huge.writeUInt8(FrameKind.Events, 8);
    huge.writeUInt8(Codec.Zstd, 9);
    let r = await readBytes(Buffer.concat([prefix, huge]), 'huge.ssrec');
    expect(r.damage!.message).toMatch(/chunk 1 at byte \d+: frame payload of \d+ bytes exceeds/);
    // A valid-checksum frame whose 40 MiB of zeros claim to be 1000 bytes.
    const bomb = zstdCompressSync(Buffer.alloc(40 * 1024 * 1024));
    r = await readBytes(Buffer.concat([prefix, encodeFrame(FrameKind.Events, Codec.Zstd, 1000, bomb)]), 'bomb.ssrec');
    expect(r.damage!.message).toMatch(/chunk 1 at byte \d+: cannot decompress/);
  });
});
