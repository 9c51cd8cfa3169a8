// How Ink draws the screen, in one place: the real terminal (mount.tsx) and the TUI
// benchmark (test/tui/bench-app.tsx) render with the same options, so what is measured
// is what ships.
import type { RenderOptions } from 'ink';

export function screenRenderOptions(): RenderOptions {
  return {
    alternateScreen: true,
    // Ink renders nothing live when a CI variable is set; the commands have already
    // checked that this is a terminal, so draw on it wherever it is (CI's tmux tests too).
    interactive: Boolean(process.stdout.isTTY),
    exitOnCtrlC: false,
    patchConsole: true,
    // One frame per interval is the norm (the feed's pace, not this cap); a key redraws at
    // once. Ink's throttle holds any frame asked for within 1000/maxFps ms of the previous
    // one until that long after the ask: at 30 a key pressed just after an interval's frame
    // waited ~35 ms; at 100, 10. A held key (auto-repeat, 30-60/s) still draws each repeat.
    maxFps: 100,
    // Only the lines that changed are written (and of those, what follows an unchanged
    // start): from one interval to the next most of the table's rows stay the same, and
    // the whole screen written each second was most of what the terminal (tmux) spent.
    incrementalRendering: true,
  };
}
