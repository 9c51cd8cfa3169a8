// The ring is drained on a timer by Node's main thread. Under a connection storm that
// thread needs only ~10% of a core, but it must get it before the ring fills (~2 s of
// records at 25,000 connections/s in 16 MiB). With kernel.sched_autogroup_enabled=1 (the
// default on desktop and many server kernels) every session is its own scheduling group,
// and ours sat runnable for up to 4.4 s of a 6 s storm among the storm's groups, losing
// records; with its autogroup at nice -5 the longest total wait was 0.28 s and nothing was
// lost, the storm's rate unchanged (bench/loss-at-max-rate.mjs, bpf/README.md). A higher
// weight gives sockscope its small share sooner; it does not make it use more.
//
// The autogroup is the session's: run from a shell, sockscope shares it with the shell and
// its other jobs, so the old value is put back when capture stops.
import { readFileSync, writeFileSync } from 'node:fs';

export const DRAIN_AUTOGROUP_NICE = -5;

const AUTOGROUP = '/proc/self/autogroup';

/** "/autogroup-123 nice 0" -> 0; null when the file is missing or unreadable. */
export function parseAutogroupNice(text: string): number | null {
  const m = /\bnice\s+(-?\d+)/.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * Raises this process's autogroup to DRAIN_AUTOGROUP_NICE when it is lower. Returns what
 * undoes it (a no-op when nothing was changed: no autogroup support, no CAP_SYS_NICE, or
 * already as high). Never throws: capture works without it, only with less headroom.
 */
export function favourDrainThread(path = AUTOGROUP): () => void {
  let before: number | null;
  try {
    before = parseAutogroupNice(readFileSync(path, 'utf8'));
  } catch {
    return () => {};
  }
  if (before === null || before <= DRAIN_AUTOGROUP_NICE) return () => {};
  try {
    writeFileSync(path, String(DRAIN_AUTOGROUP_NICE));
  } catch {
    return () => {};
  }
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    try {
      writeFileSync(path, String(before));
    } catch {
      // The session may be gone with us; nothing to put back then.
    }
  };
}
