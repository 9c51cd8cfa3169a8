// The ring is drained on a timer by Node's main thread. Under a connection storm that
// thread needs only ~10% of a core, but it must get it before the ring fills (~2 s of
// records at 25,000 connections/s in 16 MiB). With kernel.sched_autogroup_enabled=1 (the
// default on desktop and many server kernels) every session is its own scheduling group,
// and ours sat runnable for up to 4.4 s of a 6 s storm among the storm's groups, losing
// records; with its autogroup at nice -5 the longest total wait was 0.28 s and nothing was
// lost, the storm's rate unchanged (bench/loss-at-max-rate.mjs, bpf/README.md). A higher
// weight gives sockscope its small share sooner; it does not make it use more.
//
// Only when sockscope leads its session (a service, a tmux pane, `setsid sockscope ...`):
// then the autogroup is its own and goes with it. Run from a shell, the autogroup is the
// shell's and its other jobs': changing it would outlive a killed sockscope.
import { readFileSync, writeFileSync } from 'node:fs';

export const DRAIN_AUTOGROUP_NICE = -5;

/** "/autogroup-123 nice 0" -> 0; null when it is not that. */
export function parseAutogroupNice(text: string): number | null {
  const m = /\bnice\s+(-?\d+)/.exec(text);
  return m ? Number(m[1]) : null;
}

/** The session id from /proc/PID/stat's text (the field after the state, ppid and pgrp). */
export function sessionOf(statText: string): number | null {
  const fields = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  const sid = Number(fields[3]);
  return Number.isInteger(sid) ? sid : null;
}

export type DrainPriority = 'raised' | 'already high' | 'shared session' | 'unavailable';

/**
 * Raises this process's autogroup to DRAIN_AUTOGROUP_NICE when the process leads its
 * session and the group is lower. Never throws: capture works without it (no autogroup
 * support, no CAP_SYS_NICE), only with less headroom.
 */
export function favourDrainThread(proc = '/proc/self', pid = process.pid): DrainPriority {
  try {
    if (sessionOf(readFileSync(`${proc}/stat`, 'utf8')) !== pid) return 'shared session';
    const nice = parseAutogroupNice(readFileSync(`${proc}/autogroup`, 'utf8'));
    if (nice === null) return 'unavailable';
    if (nice <= DRAIN_AUTOGROUP_NICE) return 'already high';
    writeFileSync(`${proc}/autogroup`, String(DRAIN_AUTOGROUP_NICE));
    return 'raised';
  } catch {
    return 'unavailable';
  }
}
