// The writer's compact mode and seeded structures (how scripts/record-fixture.mjs writes
// the committed recordings): the same batches read back, in fewer bytes, with nothing new
// for a reader (any frame may be compressed, any zstd level decodes).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AppEvent } from '../../src/events/types';
import { Codec, FrameKind } from '../../src/record/format';
import { runsFromEvents } from '../../src/record/runs-from-events';
import { readAll, tempDir, writeRecording } from '../replay/recording-helpers';
import { storedFrames } from '../replay/stored-frames';
import { syntheticBatches } from '../replay/synthetic';

const batches = syntheticBatches({ seconds: 6, steadyFlows: 30, churnPerSec: 40, seed: 5 });
// and a small frame that would compress (a quiet interval: facts with repeated text)
const quiet: AppEvent[] = Array.from({ length: 8 }, (_, i) => ({ type: 'process', ts: 9e12 + i, pid: 500 + i, ppid: 1, exe: '/usr/bin/python3', cmdline: '/usr/bin/python3 actors.py kbclient 127.0.0.1' }));
const stored = [...batches.map(runsFromEvents), quiet];

describe('compact writer', () => {
  it('reads back the same batches as a plain file, in fewer bytes', async () => {
    const dir = tempDir();
    const plain = writeRecording(join(dir, 'plain.ssrec'), stored);
    const compact = writeRecording(join(dir, 'compact.ssrec'), stored, { compact: true, structures: plain.structures() });
    expect(compact.bytesWritten).toBeLessThan(plain.bytesWritten);
    const a = await readAll(join(dir, 'plain.ssrec'));
    const b = await readAll(join(dir, 'compact.ssrec'));
    expect(b.damage).toBeNull();
    expect(b.batches).toEqual(a.batches);
    expect(b.src.header).toEqual(a.src.header);
    expect(b.end).toEqual(a.end);
  });

  it('compresses header and structures frames when that is smaller, and stores small event frames', () => {
    const dir = tempDir();
    writeRecording(join(dir, 'c.ssrec'), stored, { compact: true });
    const frames = storedFrames(join(dir, 'c.ssrec'));
    expect(frames[0].kind).toBe(FrameKind.Header);
    expect(frames[0].codec).toBe(Codec.Zstd);
    expect(frames.filter((f) => f.kind === FrameKind.Structures).every((f) => f.codec === Codec.Zstd)).toBe(true);
    const events = frames.filter((f) => f.kind === FrameKind.Events);
    expect(events.some((f) => f.rawBytes < 1024)).toBe(true);
    for (const f of events) expect(f.codec === Codec.None).toBe(f.rawBytes < 1024);
    // the end frame (a few numbers) does not shrink: stored
    expect(frames.at(-1)!.kind).toBe(FrameKind.End);
    expect(frames.at(-1)!.codec).toBe(Codec.None);
    // a plain file stores all but large event frames, as before
    writeRecording(join(dir, 'p.ssrec'), stored);
    for (const f of storedFrames(join(dir, 'p.ssrec'))) expect(f.codec === Codec.None).toBe(f.kind !== FrameKind.Events || f.rawBytes < 1024);
  });

  it('with the structures of a first writing, the file has one structures frame', async () => {
    const dir = tempDir();
    const first = writeRecording(join(dir, 'a.ssrec'), stored);
    const kinds = (p: string) => storedFrames(p).filter((f) => f.kind === FrameKind.Structures).length;
    expect(kinds(join(dir, 'a.ssrec'))).toBeGreaterThan(1);
    writeRecording(join(dir, 'b.ssrec'), stored, { structures: first.structures() });
    expect(kinds(join(dir, 'b.ssrec'))).toBe(1);
    expect((await readAll(join(dir, 'b.ssrec'))).batches).toEqual((await readAll(join(dir, 'a.ssrec'))).batches);
  });
});
