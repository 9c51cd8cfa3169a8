// What `replay` and `info` say about damaged, foreign and newer files, through the CLI as
// a user sees it: exit 5, one line naming what and where, and what was valid still replays.
// No root needed: the file is the committed v1 fixture.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FORMAT_VERSION } from '../../src/record/format';
import { ensureBuilt, ROOT, runCli } from '../helpers/cli';
import { writeRecording } from '../replay/recording-helpers';

const FIXTURE = join(ROOT, 'test/fixtures/recordings/v1.ssrec');
const dir = mkdtempSync(join(tmpdir(), 'sockscope-damage-'));
const lines = (s: string) => s.trim().split('\n').filter(Boolean);

function variant(name: string, change: (b: Buffer) => Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, change(readFileSync(FIXTURE)));
  return path;
}

describe('damaged recordings through the CLI', () => {
  let whole: string[];
  beforeAll(() => {
    ensureBuilt();
    const r = runCli(['replay', FIXTURE, '--format', 'jsonl']);
    expect(r.code).toBe(0);
    whole = lines(r.stdout);
    expect(whole.length).toBeGreaterThan(10);
  });

  it('a truncated file: exit 5, one line with the byte offset, earlier flows still printed', () => {
    const size = readFileSync(FIXTURE).length;
    const path = variant('cut.ssrec', (b) => b.subarray(0, Math.floor(size * 0.7)));
    const r = runCli(['replay', path, '--format', 'jsonl']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^sockscope: .*cut\.ssrec: chunk \d+ at byte \d+: truncated frame \(\d+ of \d+ payload bytes\)\n$/);
    const got = lines(r.stdout);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThanOrEqual(whole.length);
    const info = runCli(['info', path]);
    expect(info.code).toBe(5);
    expect(info.stdout).toMatch(/damage: +.*truncated frame/);
    expect(lines(info.stderr)).toHaveLength(1);
  });

  it('a flipped byte: exit 5 naming the corrupted chunk', () => {
    const path = variant('flip.ssrec', (b) => {
      b[b.length - 100] ^= 0x10;
      return b;
    });
    const r = runCli(['replay', path, '--format', 'jsonl']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^sockscope: .*flip\.ssrec: chunk \d+ at byte \d+: checksum mismatch \(corrupted\)\n$/);
    expect(lines(r.stdout).length).toBeGreaterThan(0);
  });

  it('a foreign file, an empty file and a missing file: exit 5, one line', () => {
    const foreign = join(dir, 'foreign.ssrec');
    writeFileSync(foreign, '<html>not a recording</html>\n');
    const empty = join(dir, 'empty.ssrec');
    writeFileSync(empty, '');
    for (const [path, msg] of [
      [foreign, /is not a sockscope recording \(no recording signature at byte 0\)/],
      [empty, /is not a sockscope recording/],
      [join(dir, 'missing.ssrec'), /cannot open recording .*: no such file/],
      [dir, /is not a regular file/],
    ] as const) {
      for (const cmd of ['replay', 'info']) {
        const r = runCli([cmd, path]);
        expect(r.code).toBe(5);
        expect(r.stdout).toBe('');
        expect(lines(r.stderr)).toHaveLength(1);
        expect(r.stderr).toMatch(msg);
      }
    }
  });

  it('a malformed counter-columns blob (format 4): exit 5 naming its chunk, earlier flows still printed', () => {
    const path = join(dir, 'blob.ssrec');
    const opens = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/recordings/v4.events.json'), 'utf8'));
    // A blob whose entry count does not fit its length, in the second chunk.
    const blob = Buffer.alloc(16);
    blob[0] = 1;
    blob.fill(1, 1, 8);
    blob.writeUInt32LE(1000, 8);
    writeRecording(path, [opens[0], [{ type: 'packed-counters', ts: 1, bytes: blob } as never]]);
    const r = runCli(['replay', path, '--format', 'jsonl']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^sockscope: .*blob\.ssrec: chunk 2 at byte \d+: event #0: packed counters of 16 bytes, 1000 entries need \d+\n$/);
    expect(lines(r.stdout).length).toBeGreaterThan(0);
  });

  it('a newer format version is refused with a clear message', () => {
    const path = variant('newer.ssrec', (b) => {
      b.writeUInt16LE(FORMAT_VERSION + 1, 8);
      return b;
    });
    const r = runCli(['replay', path, '--format', 'jsonl']);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(`sockscope: ${path} uses recording format version ${FORMAT_VERSION + 1}, newer than this sockscope reads (up to ${FORMAT_VERSION}); upgrade sockscope\n`);
  });

  it('a copy of a whole recording with bytes appended: exit 5 after replaying everything', () => {
    const path = join(dir, 'tail.ssrec');
    copyFileSync(FIXTURE, path);
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.from('junk')]));
    const r = runCli(['replay', path, '--format', 'jsonl']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/4 unexpected bytes after the end marker at byte \d+/);
    expect(lines(r.stdout)).toEqual(whole);
  });
});
