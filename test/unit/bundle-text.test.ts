// What the bundle's text must be, built once for all the checks.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a JavaScript module of the build, without types
import { bundleCli } from '../../scripts/bundle.mjs';

describe('bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-bundle-'));
  let text = '';
  beforeAll(async () => {
    // The entry and its chunks, as dist/ holds them.
    const files: string[] = await bundleCli(dir, 'test');
    expect(files.length).toBeGreaterThan(1);
    text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // No character above U+00FF: V8 keeps a module's whole source in memory for as long as it
  // runs (functions are compiled from it when first called), as one byte a character, or two
  // for every character once a single one needs two. esbuild escapes string literals, but
  // keeps some comments as they are: four comments of flow-json-line.ts with a "…" in them
  // made the TUI keep its 1.5 MB source as 3 MiB.
  it('is text V8 can keep one byte a character', () => {
    const wide = [...text.matchAll(/[^\u0000-\u00ff]/g)].map((m) => {
      const line = text.slice(0, m.index).split('\n').length;
      return `line ${line}: ${text.split('\n')[line - 1].trim()}`;
    });
    expect(wide).toEqual([]);
  });

  // Ink's frame tests each character of a new line with a /\p{...}/u literal. esbuild rewrites
  // such literals as new RegExp("...") unless told the target has them, and a RegExp built
  // per character costs several times the literal's test (scripts/bundle.mjs).
  it('keeps Ink\'s Unicode property regexp a literal', () => {
    expect(text).toContain('/^\\p{Default_Ignorable_Code_Point}+$/u');
    expect(text.match(/new RegExp\("[^"]*\\\\p\{/g) ?? []).toEqual([]);
  });
});
