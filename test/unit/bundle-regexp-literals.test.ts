// Ink's frame tests each character of a new line with a /\p{...}/u literal. esbuild rewrites
// such literals as new RegExp("...") unless told the target has them, and a RegExp built per
// character costs several times the literal's test (scripts/bundle.mjs).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a JavaScript module of the build, without types
import { bundle } from '../../scripts/bundle.mjs';

describe('bundle', () => {
  it('keeps Ink\'s Unicode property regexp a literal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockscope-bundle-'));
    try {
      const out = join(dir, 'sockscope.mjs');
      await bundle(new URL('../../src/cli.ts', import.meta.url).pathname, out, 'test');
      const text = readFileSync(out, 'utf8');
      expect(text).toContain('/^\\p{Default_Ignorable_Code_Point}+$/u');
      expect(text.match(/new RegExp\("[^"]*\\\\p\{/g) ?? []).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
