// docs/tui.md carries the key, column and query reference generated from the tables that
// drive the screen. This fails when they drift; UPDATE_DOCS=1 rewrites the blocks.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { columnsMarkdown, keysMarkdown, queryMarkdown } from '../../src/tui/reference';

const DOC = join(import.meta.dirname, '..', '..', 'docs', 'tui.md');
const BLOCKS: Record<string, () => string> = { keys: keysMarkdown, columns: columnsMarkdown, query: queryMarkdown };

function block(doc: string, name: string): { start: number; end: number } | null {
  const open = `<!-- generated:${name} -->\n`;
  const start = doc.indexOf(open);
  const end = doc.indexOf(`<!-- /generated:${name} -->`);
  return start < 0 || end < 0 ? null : { start: start + open.length, end };
}

describe('docs/tui.md', () => {
  it('has the key, column and query reference of this code', () => {
    let doc = readFileSync(DOC, 'utf8');
    for (const [name, make] of Object.entries(BLOCKS)) {
      const b = block(doc, name);
      expect(b, `docs/tui.md needs <!-- generated:${name} --> ... <!-- /generated:${name} -->`).not.toBeNull();
      const want = `${make()}\n`;
      if (process.env.UPDATE_DOCS) doc = doc.slice(0, b!.start) + want + doc.slice(b!.end);
      else expect(doc.slice(b!.start, b!.end), `docs/tui.md: the ${name} block is stale; run UPDATE_DOCS=1 npx vitest run test/tui/docs.test.ts`).toBe(want);
    }
    if (process.env.UPDATE_DOCS) writeFileSync(DOC, doc);
  });
});
