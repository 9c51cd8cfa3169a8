// The bundle's patch of Ink (scripts/ink-frame-caches.mjs): frames share Ink's text
// caches, up to a bound. Bundled with the real configuration (scripts/bundle.mjs), so a
// change of Ink that the patch no longer matches fails here as it fails the build.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a build script without types
import { bundle } from '../../scripts/bundle.mjs';

interface OutputLike {
  caches: { styledChars: Map<string, unknown>; getStyledChars(line: string): unknown[] };
  write(x: number, y: number, text: string, options: { transformers: unknown[] }): void;
  get(): { output: string };
}
type OutputClass = new (o: { width: number; height: number }) => OutputLike;

const dir = mkdtempSync(join(tmpdir(), 'sockscope-ink-caches-'));
let Output: OutputClass;

beforeAll(async () => {
  // Ink's package exports only its index: its output module by path.
  const ink = dirname(createRequire(import.meta.url).resolve('ink'));
  const entry = join(dir, 'entry.mjs');
  writeFileSync(entry, `export { default } from ${JSON.stringify(join(ink, 'output.js'))};\n`);
  await bundle(entry, join(dir, 'out.mjs'), 'test');
  Output = (await import(join(dir, 'out.mjs'))).default as OutputClass;
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Ink's frame caches in the bundle", () => {
  it('a line split in one frame is not split again in the next', () => {
    const first = new Output({ width: 20, height: 2 });
    first.write(0, 0, '\x1b[1mhello\x1b[22m world', { transformers: [] });
    const a = first.get().output;
    const second = new Output({ width: 20, height: 2 });
    expect(second.caches).toBe(first.caches);
    expect(second.caches.styledChars.has('\x1b[1mhello\x1b[22m world')).toBe(true);
    second.write(0, 0, '\x1b[1mhello\x1b[22m world', { transformers: [] });
    expect(second.get().output).toBe(a);
  });

  it('starts over once the caches hold more than 2,000 lines', () => {
    const o = new Output({ width: 10, height: 1 });
    for (let i = o.caches.styledChars.size; i < 2000; i++) o.caches.getStyledChars(`line ${i}`);
    expect(new Output({ width: 10, height: 1 }).caches).toBe(o.caches);
    o.caches.getStyledChars('one more');
    const fresh = new Output({ width: 10, height: 1 }).caches;
    expect(fresh).not.toBe(o.caches);
    expect(fresh.styledChars.size).toBe(0);
  });
});
