// Yoga (Ink's layout) must load without fetch: its loader fetches its WebAssembly from a
// data: URL when fetch exists, which in Node loads undici and the web streams, about 115
// built-in modules and 14 MiB of a bare process's resident memory, for nothing the TUI
// uses (scripts/bundle.mjs, yogaWithoutFetch).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a JavaScript module of the build, without types
import { bundle } from '../../scripts/bundle.mjs';

describe('bundle', () => {
  it('lays out with Yoga without loading undici', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockscope-bundle-'));
    try {
      const entry = join(dir, 'entry.mjs');
      writeFileSync(entry, [
        "import Yoga from 'yoga-layout';",
        'const n = Yoga.Node.create(); n.setWidth(7); n.calculateLayout(undefined, undefined);',
        'console.log(JSON.stringify({ width: n.getComputedWidth(), undici: process.moduleLoadList.some((m) => m.includes("undici")), fetch: typeof fetch }));',
      ].join('\n'));
      const out = join(dir, 'out.mjs');
      await bundle(entry, out, 'test', { nodePaths: [new URL('../../node_modules', import.meta.url).pathname] });
      const seen = JSON.parse(execFileSync(process.execPath, [out], { encoding: 'utf8' }));
      // fetch is still the global one outside Yoga's module.
      expect(seen).toEqual({ width: 7, undici: false, fetch: 'function' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
