// Format version 3: record structures shared by a file's event frames, defined in
// structures frames. The table is untrusted input like the rest of the file.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packValue } from '../../src/record/codec';
import { Codec, FrameKind, FRAME_HEADER_SIZE, PREAMBLE_SIZE, encodeFrame } from '../../src/record/format';
import { readAll, tempDir, writeSynthetic } from '../replay/recording-helpers';

const dir = tempDir();

/** The file's frames: kind, offset and whole bytes. */
function frames(b: Buffer): Array<{ kind: number; at: number; bytes: Buffer }> {
  const out = [];
  for (let pos = PREAMBLE_SIZE; pos < b.length; ) {
    const end = pos + FRAME_HEADER_SIZE + b.readUInt32LE(pos);
    out.push({ kind: b[pos + 8], at: pos, bytes: b.subarray(pos, end) });
    pos = end;
  }
  return out;
}

/** The file with its first structures frame replaced by one holding `table`. */
function withTable(original: Buffer, table: unknown): Buffer {
  const fs = frames(original);
  const s = fs.findIndex((f) => f.kind === FrameKind.Structures);
  const raw = packValue(table);
  return Buffer.concat([original.subarray(0, PREAMBLE_SIZE), ...fs.map((f, i) => (i === s ? encodeFrame(FrameKind.Structures, Codec.None, raw.length, raw) : f.bytes))]);
}

describe('shared record structures (format version 3)', () => {
  const path = join(dir, 'shared.ssrec');
  const batches = writeSynthetic(path, { seconds: 6 });
  const original = readFileSync(path);

  it('defines each shape once: a structures frame before the first event frame, another only when new shapes come', () => {
    const kinds = frames(original).map((f) => f.kind);
    expect(kinds[1]).toBe(FrameKind.Structures);
    const tables = kinds.filter((k) => k === FrameKind.Structures).length;
    expect(tables).toBeGreaterThanOrEqual(1);
    expect(tables).toBeLessThan(kinds.filter((k) => k === FrameKind.Events).length);
  });

  it('a malformed table (valid checksum) is damage at that chunk, with nothing of it yielded', async () => {
    for (const table of [{ not: 'a table' }, [['type', 7]], [[]], Array.from({ length: 33 }, () => ['a']), [['x'.repeat(65)]]]) {
      const p = join(dir, 'bad-table.ssrec');
      writeFileSync(p, withTable(original, table));
      const r = await readAll(p);
      expect(r.batches).toEqual([]);
      expect(r.damage!.message).toMatch(/chunk 1 at byte \d+: (the structures frame is not a table|structure #0 is malformed)/);
    }
  });

  it('a table that does not match the frames (shapes missing or reordered) is malformed events, not a crash', async () => {
    for (const wrong of [[], [['type', 'uid', 'name']]]) {
      const p = join(dir, 'wrong-table.ssrec');
      writeFileSync(p, withTable(original, wrong));
      const r = await readAll(p);
      expect(r.batches).toEqual([]);
      expect(r.damage!.message).toMatch(/chunk 1 at byte \d+: (malformed event|the chunk is not a list)/);
    }
  });

  it('a table met again (kept by its bytes) reads as the first time; a bad one is damage every time', async () => {
    const first = await readAll(path);
    const wrong = join(dir, 'wrong-again.ssrec');
    writeFileSync(wrong, withTable(original, [['type', 'uid', 'name']]));
    const bad = join(dir, 'bad-again.ssrec');
    writeFileSync(bad, withTable(original, [['type', 7]]));
    for (let i = 0; i < 2; i++) {
      expect((await readAll(wrong)).damage!.message).toMatch(/chunk 1 at byte \d+: (malformed event|the chunk is not a list)/);
      expect((await readAll(bad)).damage!.message).toMatch(/chunk 1 at byte \d+: structure #0 is malformed/);
      const again = await readAll(path);
      expect(again.damage).toBeNull();
      expect(again.batches).toEqual(first.batches);
    }
  });

  it('a structures frame in a version 2 file is damage', async () => {
    const b = Buffer.from(original);
    b.writeUInt16LE(2, 8);
    // the header repeats the version (checksummed): rewrite it as a version 2 header
    const fs = frames(b);
    const header = packValue({ ...(await readAll(path)).src.header, formatVersion: 2 });
    const p = join(dir, 'v2-with-table.ssrec');
    writeFileSync(p, Buffer.concat([b.subarray(0, PREAMBLE_SIZE), encodeFrame(FrameKind.Header, Codec.None, header.length, header), ...fs.slice(1).map((f) => f.bytes)]));
    const r = await readAll(p);
    expect(r.src.formatVersion).toBe(2);
    expect(r.batches).toEqual([]);
    expect(r.damage!.message).toMatch(/chunk 1 at byte \d+: unexpected structures frame/);
  });

  it('reads back every event exactly', async () => {
    const r = await readAll(path);
    expect(r.damage).toBeNull();
    expect(r.batches).toEqual(batches);
  });
});
