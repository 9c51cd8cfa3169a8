// sockscope never uses undici (Node's fetch), but two things loaded it, with the web
// streams, into every TUI (745 KB of source to compile; the TUI replaying demo.ssrec 111.6
// -> 101.5 MiB resident without them): Yoga's loader (Ink's layout), which fetches its
// WebAssembly from a data: URL when fetch exists (scripts/bundle.mjs, yogaWithoutFetch),
// and an ES import of node:http, which reads all of its exports, a lazy one loading undici
// (src/enrich/runtime-api.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a JavaScript module of the build, without types
import { bundle, bundleCli } from '../../scripts/bundle.mjs';

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

  it('starts sockscope without loading undici', async () => {
    // In the tree, where the bundle finds koffi (external).
    const dir = mkdtempSync(new URL('../../dist/.test-bundle-', import.meta.url).pathname);
    try {
      const [out, ...chunks]: string[] = await bundleCli(dir, 'test');
      // Every static import of the bundle is evaluated before it prints its version.
      const preload = join(dir, 'report.cjs');
      writeFileSync(preload, 'process.on("exit", () => process._rawDebug("undici:" + process.moduleLoadList.filter((m) => m.includes("undici")).length));');
      const r = spawnSync(process.execPath, ['--require', preload, out, '--version'], { encoding: 'utf8' });
      expect(r.stdout.trim()).toBe('test');
      expect(r.stderr.trim()).toBe('undici:0');
      // The chunks the commands import later (the TUI's among them), each evaluated.
      const loadAll = join(dir, 'load-all.mjs');
      writeFileSync(loadAll, chunks.map((f) => `await import(${JSON.stringify(pathToFileURL(f).href)});`).join('\n'));
      const all = spawnSync(process.execPath, ['--require', preload, loadAll], { encoding: 'utf8' });
      expect(chunks.some((f) => /sockscope-run-live-/.test(f))).toBe(true);
      expect(all.status).toBe(0);
      expect(all.stderr.trim()).toBe('undici:0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
