// The bundle's patch of Ink's frame (scripts/ink-frame-garbage.mjs): the same screens as
// Ink's own code, frame after frame, and only the previous frame's caches kept. Bundled
// with the real configuration (scripts/bundle.mjs), so a change of Ink that the patch no
// longer matches fails here as it fails the build.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a build script without types
import { bundle } from '../../scripts/bundle.mjs';

interface CachesLike {
  previous: CachesLike | null;
  styledChars: Map<string, unknown>;
}
interface OutputLike {
  caches: CachesLike;
  write(x: number, y: number, text: string, options: { transformers: ((s: string, i: number) => string)[] }): void;
  clip(c: { x1?: number; x2?: number; y1?: number; y2?: number }): void;
  unclip(): void;
  get(): { output: string; height: number };
}
type OutputClass = new (o: { width: number; height: number }) => OutputLike;

const dir = mkdtempSync(join(tmpdir(), 'sockscope-ink-frame-'));
const inkOutput = join(dirname(createRequire(import.meta.url).resolve('ink')), 'output.js');
let Patched: OutputClass;
let Original: OutputClass;

beforeAll(async () => {
  // Ink's package exports only its index: its output module by path.
  const entry = join(dir, 'entry.mjs');
  writeFileSync(entry, `export { default } from ${JSON.stringify(inkOutput)};\n`);
  await bundle(entry, join(dir, 'out.mjs'), 'test');
  Patched = (await import(join(dir, 'out.mjs'))).default as OutputClass;
  Original = (await import(inkOutput)).default as OutputClass;
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One frame drawn by an Output class: styled text, several lines, wide characters,
 * clips, a transformer, overlapping writes. */
function frame(Output: OutputClass, n: number): { out: OutputLike; text: string } {
  const o = new Output({ width: 24, height: 6 });
  o.write(0, 0, `\x1b[1mflows ${n}\x1b[22m · \x1b[7mTX\x1b[27m ▁▃▇█`, { transformers: [] });
  o.write(2, 1, 'two\nlines 漢字', { transformers: [(s, i) => (i === 0 ? `\x1b[2m${s}\x1b[22m` : s)] });
  o.clip({ x1: 1, x2: 10, y1: 2, y2: 4 });
  o.write(0, 2, '漢字 cut at the clip edge', { transformers: [] });
  o.write(3, 3, '\x1b[31mred\x1b[39m plain', { transformers: [] });
  o.unclip();
  o.write(5, 4, n % 2 ? 'odd frame' : 'even', { transformers: [] });
  o.write(6, 4, '字', { transformers: [] });
  o.write(0, 5, `\u200bzero-width ${n}`, { transformers: [] });
  return { out: o, text: o.get().output };
}

describe("Ink's frame, patched in the bundle", () => {
  it('draws what Ink draws, frame after frame', () => {
    for (let n = 0; n < 5; n++) expect(frame(Patched, n).text).toBe(frame(Original, n).text);
  });

  it("looks in the previous frame's caches, and keeps no older ones", () => {
    const a = frame(Patched, 1).out;
    const b = frame(Patched, 2).out;
    expect(b.caches.previous).toBe(a.caches);
    const c = frame(Patched, 3).out;
    expect(c.caches.previous).toBe(b.caches);
    expect(b.caches.previous).toBeNull();
    // A line of the previous frame is the same cells, not split again.
    const line = '\x1b[31mred\x1b[39m plain';
    expect(c.caches.styledChars.get(line)).toBe(b.caches.styledChars.get(line));
  });
});
