// BPF run time per program from the kernel's own accounting (kernel.bpf_stats_enabled=1, then
// run_time_ns/run_cnt from `bpftool prog show -j`). The sysctl is restored on every exit path.
// The accounting is not free: two clock reads and a per-CPU counter update per program run,
// paid by every BPF monitor and not by "nothing attached". Section 1 therefore measures
// throughput with it off and turns it on (setStats) only for a separate short phase.
import { readFileSync, writeFileSync } from 'node:fs';
import { run } from './proc.mjs';

const SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';
let previous = null;

export function enableStats() {
  try {
    previous = readFileSync(SYSCTL, 'utf8').trim();
    writeFileSync(SYSCTL, '1');
    return true;
  } catch {
    previous = null;
    return false;
  }
}

// On or off for the phase that follows (after enableStats: the exit path restores the
// value found at start either way). Returns whether the write took.
export function setStats(on) {
  if (previous === null) return false;
  try { writeFileSync(SYSCTL, on ? '1' : '0'); return true; } catch { return false; }
}

// Synchronous so it can run from process.on('exit').
export function restoreStats() {
  if (previous === null) return;
  try { writeFileSync(SYSCTL, previous); } catch { /* nothing more we can do */ }
  previous = null;
}

// id -> { name, type, runTimeNs, runCnt }
export async function snapshot() {
  const r = await run('bpftool', ['prog', 'show', '-j'], { timeoutMs: 10000 });
  const out = new Map();
  if (r.code !== 0) return out;
  try {
    for (const p of JSON.parse(r.stdout)) {
      out.set(p.id, { name: p.name, type: p.type, runTimeNs: p.run_time_ns ?? 0, runCnt: p.run_cnt ?? 0 });
    }
  } catch { /* bpftool printed something unexpected: no stats */ }
  return out;
}

// Run time and count spent between two snapshots in the given programs.
export function delta(before, after, ids) {
  let runTimeNs = 0, runCnt = 0;
  for (const id of ids) {
    const a = after.get(id), b = before.get(id);
    if (!a) continue;
    runTimeNs += a.runTimeNs - (b?.runTimeNs ?? 0);
    runCnt += a.runCnt - (b?.runCnt ?? 0);
  }
  return { runTimeNs, runCnt, programs: ids.size ?? ids.length };
}
