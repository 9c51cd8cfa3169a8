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
    // One frame per interval is the norm; key presses may redraw faster.
    maxFps: 30,
  };
}
