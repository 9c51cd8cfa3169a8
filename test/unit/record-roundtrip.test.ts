import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadFileError } from '../../src/errors';
import type { AppEvent, FlowOpenEvent } from '../../src/events/types';
import { expandStored } from '../../src/record/check-events';
import { openRecord, run, withRuns } from '../replay/kernel-record-encoder';
import { Codec, FORMAT_VERSION, FRAME_HEADER_SIZE, FrameKind, PREAMBLE_SIZE } from '../../src/record/format';
import { openRecording } from '../../src/record/reader';
import { readAll, TEST_INFO, tempDir, writeRecording, writeSynthetic } from '../replay/recording-helpers';
import { syntheticBatches } from '../replay/synthetic';

const dir = tempDir();

describe('recording writer and reader', () => {
  it('round-trips every event exactly, with the header and end summary', async () => {
    const path = join(dir, 'rt.ssrec');
    const batches = writeSynthetic(path, { seconds: 10 });
    const r = await readAll(path);
    expect(r.damage).toBeNull();
    expect(r.batches).toEqual(batches);
    expect(r.src.header).toMatchObject({ hostname: 'testhost', kernel: '6.18.0-test', cpus: 2, formatVersion: FORMAT_VERSION, hooks: TEST_INFO.hooks });
    expect(r.src.info).toMatchObject({ mode: 'replay', file: path, intervalMs: 1000 });
    expect(r.end).toMatchObject({ events: batches.flat().length, frames: 10 });
  });

  it.each([Codec.None, Codec.DeflateRaw, Codec.Gzip, Codec.Brotli, Codec.Zstd])('round-trips with codec %i', async (codec) => {
    const path = join(dir, `codec-${codec}.ssrec`);
    const batches = writeSynthetic(path, { seconds: 3 }, { codec });
    expect((await readAll(path)).batches).toEqual(batches);
  });

  it('stores a small frame uncompressed, a larger one with the codec', async () => {
    const path = join(dir, 'small.ssrec');
    const small: AppEvent[] = [{ type: 'tick', ts: 1, wallMs: 2, lost: 0, evicted: 0 }];
    const large = syntheticBatches({ seconds: 2 })[1];
    writeRecording(path, [small, large]);
    const b = readFileSync(path);
    const codecs: number[] = [];
    for (let pos = PREAMBLE_SIZE; pos < b.length; pos += FRAME_HEADER_SIZE + b.readUInt32LE(pos)) if (b[pos + 8] === FrameKind.Events) codecs.push(b[pos + 9]);
    expect(codecs).toEqual([Codec.None, Codec.Zstd]);
    expect((await readAll(path)).batches).toEqual([small, large]);
  });

  it('keeps 64-bit sized numbers exact (ns timestamps, large byte counts)', async () => {
    const path = join(dir, 'big.ssrec');
    const ev: AppEvent[] = [{ type: 'tick', ts: 2 ** 53 - 1, wallMs: 1_764_000_000_123, lost: 2 ** 40 + 3, evicted: 0 }];
    writeRecording(path, [ev]);
    expect((await readAll(path)).batches).toEqual([ev]);
  });

  it('kernel-records runs read back as their events; a run that does not decode is damage after what came before', async () => {
    const path = join(dir, 'runs.ssrec');
    const batches = syntheticBatches({ seconds: 3, steadyFlows: 4, churnPerSec: 3, seed: 5 });
    const withRunsBatches = batches.map(withRuns);
    writeRecording(path, withRunsBatches);
    const r = await readAll(path);
    expect(r.damage).toBeNull();
    expect(r.batches.map((b) => b.length)).toEqual(withRunsBatches.map((b) => (expandStored(b) as AppEvent[]).length));
    expect(r.end?.events).toBe(r.batches.flat().length);
    // A run whose first record's length overruns the run: the chunk is damage, named.
    const bad = join(dir, 'runs-bad.ssrec');
    const broken = run([openRecord(batches[0].find((e) => e.type === 'flow-open') as FlowOpenEvent)]);
    (broken.bytes as Buffer).writeUInt32LE(10_000, 0);
    writeRecording(bad, [withRunsBatches[0], [broken]]);
    const d = await readAll(bad);
    expect(d.batches).toHaveLength(1);
    expect(d.damage?.message).toMatch(/chunk 2 at byte \d+: event #0: record of 10000 bytes at byte 0 overruns the run/);
  });

  it('creates files with mode 0600, also over an existing file', () => {
    const path = join(dir, 'mode.ssrec');
    writeFileSync(path, 'x');
    chmodSync(path, 0o644);
    writeSynthetic(path, { seconds: 1 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('splits a huge counters snapshot so no frame exceeds the caps', async () => {
    const path = join(dir, 'huge.ssrec');
    const flows = Array.from({ length: 120_000 }, (_, i) => ({ flowId: i, bytesSent: i, bytesReceived: i, packetsSent: null, packetsReceived: null, retransmits: null, srttUs: null }));
    writeRecording(path, [[{ type: 'counters', ts: 1, flows }]]);
    const r = await readAll(path);
    const got = r.batches.flat().flatMap((e) => (e.type === 'counters' ? e.flows : []));
    expect(got).toEqual(flows);
  });

  it('replays a file without its end marker up to the last chunk and reports it', async () => {
    const path = join(dir, 'killed.ssrec');
    const batches = syntheticBatches({ seconds: 4 });
    writeRecording(path, batches, {}, false);
    const r = await readAll(path);
    expect(r.batches).toEqual(batches);
    expect(r.damage).toBeInstanceOf(BadFileError);
    expect(r.damage!.message).toMatch(/truncated at byte \d+ after chunk 4: no end marker/);
  });

  it('refuses a foreign file and a newer format version with one clear line', async () => {
    const foreign = join(dir, 'foreign.ssrec');
    writeFileSync(foreign, '{"not": "a recording"}\n');
    await expect(openRecording(foreign)).rejects.toThrow(/is not a sockscope recording \(no recording signature at byte 0\)/);
    const newer = join(dir, 'newer.ssrec');
    writeSynthetic(newer, { seconds: 1 });
    const b = readFileSync(newer);
    b.writeUInt16LE(FORMAT_VERSION + 1, 8);
    writeFileSync(newer, b);
    await expect(openRecording(newer)).rejects.toThrow(new RegExp(`format version ${FORMAT_VERSION + 1}, newer than this sockscope reads`));
    await expect(openRecording(join(dir, 'missing.ssrec'))).rejects.toBeInstanceOf(BadFileError);
  });

  it('names the chunk and byte offset of a corrupted chunk and replays what precedes it', async () => {
    const path = join(dir, 'flip.ssrec');
    const batches = writeSynthetic(path, { seconds: 5 });
    const b = readFileSync(path);
    b[b.length - 200] ^= 0x40; // inside the last event chunk
    writeFileSync(path, b);
    const r = await readAll(path);
    expect(r.batches).toEqual(batches.slice(0, 4));
    expect(r.damage!.message).toMatch(/chunk 5 at byte \d+: checksum mismatch/);
  });
});
