// An esbuild plugin that makes each frame of Ink (build/output.js) allocate less. An idle
// TUI draws one frame a second, and each frame of a 120x40 screen allocated about 4 MB:
// 90% of what the TUI allocated while idle with 100,000 flows held (a sampling heap
// profile, bench/profile/alloc-profile.cjs), enough to keep V8's young generation growing
// back to its 16 MB cap after every full GC. Three changes, none to what is drawn:
//  - the grid a frame starts from holds one shared blank cell instead of a new object per
//    cell (4,800 a frame): Ink replaces cells, it never changes one;
//  - the regular expression that drops invisible characters is made once, not once per
//    character (a literal in an arrow function is a new RegExp object per call);
//  - a frame's text caches (a line split into styled cells, widths, a text's lines) look in
//    the previous frame's before splitting again: most lines of a screen are the same from
//    one second to the next. Only the previous frame's are kept, not every line seen: caches
//    kept across frames up to 2,000 lines were tried and dropped (docs/tui.md), because
//    under keep-alive load every row changes each second and they filled with lines never
//    drawn again, which the old generation's collector then paid for.
// A line of Ink that no longer matches fails the build rather than losing a change silently.
import { readFile } from 'node:fs/promises';

/** `source` with `from` (a string that must occur exactly once) replaced by `to`. */
function replaceOnce(source, from, to, file) {
  const at = source.indexOf(from);
  if (at < 0 || source.indexOf(from, at + 1) >= 0) throw new Error(`ink-frame-garbage: expected once in ${file}: ${from.slice(0, 80)}`);
  return source.slice(0, at) + to + source.slice(at + from.length);
}

const PATCHES = [
  // One RegExp, and the previous frame's split of the line when it has one.
  ['cached = styledCharsFromTokens(tokenize(line)).filter(character => !/^\\p{Default_Ignorable_Code_Point}+$/u.test(character.value));',
    'cached = this.previous?.styledChars.get(line) ?? styledCharsFromTokens(tokenize(line)).filter(character => !IGNORABLE.test(character.value));'],
  ['cached = stringWidth(text);', 'cached = this.previous?.widths.get(text) ?? stringWidth(text);'],
  // A text's lines (each as a string of styled cells), cached like its cells.
  [`        const characterLines = [[]];
        for (const character of this.caches.getStyledChars(text)) {
            if (character.value === '\\n') {
                characterLines.push([]);
            }
            else {
                characterLines.at(-1).push(character);
            }
        }
        let lines = characterLines.map(line => styledCharsToString(line));`,
  '        let lines = this.caches.getLines(text);'],
  ['    getStringWidth(text) {', `    lines = new Map();
    previous = null;
    getLines(text) {
        let cached = this.lines.get(text) ?? this.previous?.lines.get(text);
        if (cached === undefined) {
            // Preserve styles across explicit newlines before clipping individual rows.
            const characterLines = [[]];
            for (const character of this.getStyledChars(text)) {
                if (character.value === '\\n') {
                    characterLines.push([]);
                }
                else {
                    characterLines.at(-1).push(character);
                }
            }
            cached = characterLines.map(line => styledCharsToString(line));
        }
        this.lines.set(text, cached);
        return cached;
    }
    getStringWidth(text) {`],
  ['    caches = new OutputCaches();', '    caches = nextFrameCaches();'],
  [`                row.push({
                    type: 'char',
                    value: ' ',
                    fullWidth: false,
                    styles: [],
                });`, '                row.push(BLANK_CELL);'],
];

const ADDED = `
const IGNORABLE = /^\\p{Default_Ignorable_Code_Point}+$/u;
const BLANK_CELL = { type: 'char', value: ' ', fullWidth: false, styles: [] };
let lastCaches = null;
/** A new frame's caches, which look in the previous frame's (and only in that one). */
function nextFrameCaches() {
    const caches = new OutputCaches();
    if (lastCaches !== null) {
        lastCaches.previous = null;
        caches.previous = lastCaches;
    }
    lastCaches = caches;
    return caches;
}
`;

export const inkFrameGarbage = {
  name: 'ink-frame-garbage',
  setup(b) {
    b.onLoad({ filter: /[/\\]ink[/\\]build[/\\]output\.js$/ }, async (args) => {
      let source = await readFile(args.path, 'utf8');
      for (const [from, to] of PATCHES) source = replaceOnce(source, from, to, args.path);
      return { contents: source + ADDED, loader: 'js' };
    });
  },
};
