// How the writer's zstd stores literals: `record`'s level 1 stores them raw (no Huffman
// coding: less CPU, more bytes), a compact file (level 19) leaves them to zstd. Both are
// standard zstd frames, read back the same.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Codec, FrameKind } from '../../src/record/format';
import { runsFromEvents } from '../../src/record/runs-from-events';
import { readAll, tempDir, writeRecording } from '../replay/recording-helpers';
import { storedFrames } from '../replay/stored-frames';
import { syntheticBatches } from '../replay/synthetic';
import { literalsTypes } from '../replay/zstd-literals';

const stored = syntheticBatches({ seconds: 6, steadyFlows: 30, churnPerSec: 400, seed: 7 }).map(runsFromEvents);

/** The literals types of the compressed blocks of a file's zstd event frames. */
function literals(path: string): string[] {
  const events = storedFrames(path).filter((f) => f.kind === FrameKind.Events && f.codec === Codec.Zstd);
  expect(events.length).toBeGreaterThan(2);
  return events.flatMap((f) => literalsTypes(f.payload));
}

describe('writer zstd literals', () => {
  it('a plain file stores them raw, a compact file Huffman-codes them, and both read back the same', async () => {
    const dir = tempDir();
    writeRecording(join(dir, 'plain.ssrec'), stored);
    writeRecording(join(dir, 'compact.ssrec'), stored, { compact: true });
    const plain = literals(join(dir, 'plain.ssrec'));
    expect(plain.every((t) => t === 'raw' || t === 'rle')).toBe(true);
    expect(literals(join(dir, 'compact.ssrec')).some((t) => t === 'compressed')).toBe(true);
    const a = await readAll(join(dir, 'plain.ssrec'));
    const b = await readAll(join(dir, 'compact.ssrec'));
    expect(a.damage).toBeNull();
    expect(a.batches).toEqual(b.batches);
  });
});
