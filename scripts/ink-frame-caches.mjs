// An esbuild plugin that keeps Ink's per-frame text caches from one frame to the next.
// Ink (build/output.js) splits every line it draws into styled cells (ANSI tokenizing,
// string widths) with caches made afresh for each frame, so an unchanged line (most of the
// screen from one interval to the next: header, footer, table header, rows that did not
// move) is split again every frame. The cells are never modified once made (a write
// replaces a cell, it does not change it), so frames can share them. The caches are
// started over once they hold MAX_LINES lines: a bound on memory, and one frame in that
// many pays the full price. If Ink's code no longer has the line this replaces, the build
// fails rather than silently losing the cache.
import { readFile } from 'node:fs/promises';

const MAX_LINES = 2000;
const FRESH_CACHES = 'caches = new OutputCaches();';

export const inkFrameCaches = {
  name: 'ink-frame-caches',
  setup(b) {
    b.onLoad({ filter: /[/\\]ink[/\\]build[/\\]output\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes(FRESH_CACHES)) throw new Error(`ink-frame-caches: '${FRESH_CACHES}' not found in ${args.path} (Ink changed)`);
      const shared = `
let sharedCaches = new OutputCaches();
function frameCaches() {
    if (sharedCaches.styledChars.size > ${MAX_LINES}) sharedCaches = new OutputCaches();
    return sharedCaches;
}
`;
      return { contents: source.replace(FRESH_CACHES, 'caches = frameCaches();') + shared, loader: 'js' };
    });
  },
};
