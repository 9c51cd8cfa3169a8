// The writer sends a frame's header and payload in one writev; a write that takes only part
// of them (a pipe, a signal) must be finished by the writer, byte for byte. node:fs is
// wrapped so that every write takes at most a few bytes, and the file must come out the
// same as one written without short writes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readAll, tempDir, writeSynthetic } from '../replay/recording-helpers';

const short = vi.hoisted(() => ({ on: false, writev: 0, rest: 0 }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  /** At most 7 bytes of the first buffer: inside a frame header (16 bytes). */
  const writevSync = (fd: number, buffers: Uint8Array[], position?: number) => {
    if (!short.on) return fs.writevSync(fd, buffers, position);
    short.writev++;
    const first = buffers[0];
    return fs.writeSync(fd, first, 0, Math.min(7, first.length));
  };
  const writeSync = (fd: number, buf: Uint8Array, offset?: number, length?: number) => {
    if (!short.on || typeof offset !== 'number') return (fs.writeSync as (...a: unknown[]) => number)(fd, buf, offset, length);
    short.rest++;
    return fs.writeSync(fd, buf, offset, Math.min(length ?? buf.length - offset, 1000));
  };
  return { ...fs, default: { ...fs, writevSync, writeSync }, writevSync, writeSync };
});

const dir = tempDir();

describe('recording writer, short writes', () => {
  it('finishes every frame after a partial writev: the file equals one written whole', async () => {
    const whole = join(dir, 'whole.ssrec');
    const parts = join(dir, 'parts.ssrec');
    const batches = writeSynthetic(whole, { seconds: 4, seed: 3 });
    short.on = true;
    try {
      writeSynthetic(parts, { seconds: 4, seed: 3 });
    } finally {
      short.on = false;
    }
    // Every event frame went through a cut writev, and the rest took further writes.
    expect(short.writev).toBeGreaterThanOrEqual(batches.length);
    expect(short.rest).toBeGreaterThan(short.writev);
    expect(readFileSync(parts).equals(readFileSync(whole))).toBe(true);
    const r = await readAll(parts);
    expect(r.damage).toBeNull();
    expect(r.batches.length).toBe(batches.length);
  });
});
