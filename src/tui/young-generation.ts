// Caps V8's young generation in the TUI below what scripts/node-flags.mjs allows the other
// modes, while connections are not turning over. The flags are fixed before the process
// knows it will draw a screen, and in the TUI the young generation grows to the flag's
// maximum within seconds of every full GC (Ink's frame, a few MiB a second, keeps the
// scavenger busy; whatever survives a frame counts towards growing it) although a smaller
// one serves a screen of long-lived flows as well.
// --semi-space-growth-factor is read by V8 each time it grows the young generation, so
// setting it to 1 once the space reaches CAP_BYTES stops the growth there (and 2 again
// below it, so that after a memory-reducing GC shrinks it, it may grow back to the cap).
// Under connection churn the cap is lifted: every connection's flow passes through the
// young generation, and with the cap the scavenger and the old generation's marking
// (promoted flows) cost more than the rest of the TUI (bench/live-steady.mjs --mode tui,
// 25,000 connections/s: 7.8 µs per connection with the cap, 4.8 without, 2026-11-27).
import v8 from 'node:v8';

/** new_space's size (both semi-spaces) at which growth stops: 4 MiB semi-spaces. Half that
 * did not pay (scripts/bench-footprint.mjs --mode tui --heap, 2 runs each, interleaved,
 * 2026-11-27): median RSS of the hold's last 30 s 131.6 and 132.6 MiB against 128.5 and
 * 132.1, old space 13-15 MiB against 10 (more of each frame promoted), CPU 10.9 and 9.4%
 * against 9.4 and 9.7. */
const CAP_BYTES = 8 * 2 ** 20;
const CHECK_MS = 1000;
/** Flows closed per second above which the cap is lifted. */
export const CHURN_CLOSES_PER_SEC = 1000;

/** Starts the cap (checked once a second); `closesPerSec` says how many flows closed per
 * second lately. Returns what stops it. */
export function capYoungGeneration(closesPerSec: () => number): () => void {
  let factor = 0;
  const check = () => {
    const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    if (space === undefined) return;
    const want = closesPerSec() > CHURN_CLOSES_PER_SEC || space.space_size < CAP_BYTES ? 2 : 1;
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

/** Flows closed per second between calls, from the reducer's totals: the flows opened
 * in the last interval less the growth of the open ones. */
export function closeRate(totals: () => { flowsOpen: number; newFlowsPerSec: number }, clock: () => number = Date.now): () => number {
  let last = NaN;
  let lastAt = 0;
  return () => {
    const t = totals();
    const now = clock();
    const grew = Number.isNaN(last) ? 0 : (t.flowsOpen - last) / Math.max(0.001, (now - lastAt) / 1000);
    last = t.flowsOpen;
    lastAt = now;
    return Math.max(0, t.newFlowsPerSec - grew);
  };
}
