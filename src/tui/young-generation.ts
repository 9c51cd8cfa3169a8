// Caps V8's young generation in the TUI below what scripts/node-flags.mjs allows the other
// modes. The flags are fixed before the process knows it will draw a screen, and in the
// TUI the young generation grows to the flag's maximum within seconds of every full GC
// (Ink's frame, a few MiB a second, keeps the scavenger busy; whatever survives a frame
// counts towards growing it) although a smaller one serves the idle screen as well.
// --semi-space-growth-factor is read by V8 each time it grows the young generation, so
// setting it to 1 once the space reaches CAP_BYTES stops the growth there (and 2 again
// below it, so that after a memory-reducing GC shrinks it, it may grow back to the cap).
import v8 from 'node:v8';

/** new_space's size (both semi-spaces) at which growth stops: 4 MiB semi-spaces. */
const CAP_BYTES = 8 * 2 ** 20;
const CHECK_MS = 1000;

/** Starts the cap (checked once a second); returns what stops it. */
export function capYoungGeneration(): () => void {
  let factor = 0;
  const check = () => {
    const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    if (space === undefined) return;
    const want = space.space_size >= CAP_BYTES ? 1 : 2;
    if (want === factor) return;
    try {
      v8.setFlagsFromString(`--semi-space-growth-factor=${want}`);
      factor = want;
    } catch {
      clearInterval(timer); // flags frozen: the default growth, nothing worse
    }
  };
  const timer = setInterval(check, CHECK_MS);
  timer.unref();
  check();
  return () => clearInterval(timer);
}
