// Names the processes the kernel identified by pid: executable path, command line and
// parent pid, read from /proc. A process that connects and exits within a millisecond is
// usually gone from /proc by the time its flow is looked at, so facts are captured as early
// as possible (at exec, fork or first sight), kept for a grace period after exit, and only
// then dropped. Everything here is synchronous: a few small /proc reads per new process.
import { readFileSync, readlinkSync } from 'node:fs';
import type { ProcExecEvent, ProcExitEvent, ProcForkEvent } from '../events/types';

export interface ProcessDetails {
  ppid: number | null;
  exe: string | null;
  cmdline: string | null;
}

/** /proc/PID/cmdline can be up to ARG_MAX; a screen and a recording need far less. */
export const MAX_CMDLINE_CHARS = 4096;

/** ppid from the text of /proc/PID/stat. The comm field is in parentheses and may itself
 * contain spaces and ')' characters, so fields are counted from the LAST ')'. */
export function parseStatPpid(stat: string): number | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  // After ") ": state, ppid, pgrp, ...
  const fields = stat.slice(close + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) && ppid >= 0 ? ppid : null;
}

/** /proc/PID/cmdline is NUL-separated and NUL-terminated; kernel threads and zombies have
 * an empty one, which means "unknown", not "empty command". */
export function parseCmdline(raw: Buffer): string | null {
  let end = raw.length;
  while (end > 0 && raw[end - 1] === 0) end--;
  if (end === 0) return null;
  const text = raw.subarray(0, end).toString('utf8').replaceAll('\0', ' ');
  return text.length > MAX_CMDLINE_CHARS ? text.slice(0, MAX_CMDLINE_CHARS) : text;
}

/** Reads what /proc still knows about a pid. `alive` is false when /proc/PID is gone. */
export function readProcess(procRoot: string, pid: number): { alive: boolean } & ProcessDetails {
  const dir = `${procRoot}/${pid}`;
  let stat: string;
  try {
    stat = readFileSync(`${dir}/stat`, 'utf8');
  } catch {
    return { alive: false, ppid: null, exe: null, cmdline: null };
  }
  let exe: string | null = null;
  try {
    exe = readlinkSync(`${dir}/exe`);
  } catch {
    // EACCES without CAP_SYS_PTRACE, ENOENT for kernel threads and zombies: unknown.
  }
  let cmdline: string | null = null;
  try {
    cmdline = parseCmdline(readFileSync(`${dir}/cmdline`));
  } catch {
    // Raced with exit: keep what was read.
  }
  return { alive: true, ppid: parseStatPpid(stat), exe, cmdline };
}

interface Entry extends ProcessDetails {
  /** Event time of the proc-exit, or null while running. */
  exitedTs: number | null;
  /** False for an entry created by fork without the parent's details: read /proc on use. */
  complete: boolean;
}

export interface ProcessTableOptions {
  procRoot: string;
  /** How long facts survive the process, in event-time ns. */
  graceNs?: number;
  /** Upper bound on remembered processes. */
  maxEntries?: number;
}

/** pid -> details, fed by the sched events and by lookups. Map order is recency order
 * (entries are re-inserted when touched), so the first entries are the ones to evict. */
export class ProcessTable {
  private readonly procRoot: string;
  private readonly graceNs: number;
  private readonly maxEntries: number;
  private readonly entries = new Map<number, Entry>();
  private lastSweepTs = 0;

  constructor(opts: ProcessTableOptions) {
    this.procRoot = opts.procRoot;
    this.graceNs = opts.graceNs ?? 10e9;
    this.maxEntries = opts.maxEntries ?? 16384;
  }

  get size(): number {
    return this.entries.size;
  }

  /** A new program image: whatever was known about this pid before is stale. /proc is read
   * now, while the process most likely still exists (it also shows a retitled command
   * line, as ps does); if it is already gone, the kernel's filename and the argv it read
   * at exec are what there is. */
  onExec(ev: ProcExecEvent): void {
    const read = readProcess(this.procRoot, ev.pid);
    this.put(ev.pid, {
      ppid: read.ppid ?? ev.ppid,
      exe: read.exe ?? (ev.filename || null),
      cmdline: read.cmdline ?? ev.cmdline ?? null,
      exitedTs: null,
      complete: true,
    });
  }

  /** fork() copies the parent's image, so the parent's exe and cmdline are the child's too.
   * An unknown parent is read from /proc now, once (it has just forked, so it is most likely
   * alive): a server that forks a worker per connection then names workers that are gone
   * before their flows are looked up (their own /proc is empty by then). */
  onFork(ev: ProcForkEvent): void {
    const parent = this.lookup(ev.ppid, ev.ts);
    this.put(ev.pid, {
      ppid: ev.ppid,
      exe: parent.exe,
      cmdline: parent.cmdline,
      exitedTs: null,
      // A parent without an image (a kernel thread, or gone): read the child's /proc on use.
      complete: parent.exe !== null || parent.cmdline !== null,
    });
  }

  onExit(ev: ProcExitEvent): void {
    const entry = this.entries.get(ev.pid);
    if (entry) entry.exitedTs = ev.ts;
    else this.put(ev.pid, { ppid: null, exe: null, cmdline: null, exitedTs: ev.ts, complete: false });
  }

  /** Details for a pid at event time `ts`; reads /proc on first sight. `fallbackPpid` is the
   * parent the kernel reported with the event, used when /proc has nothing. */
  lookup(pid: number, ts: number, fallbackPpid: number | null = null): ProcessDetails {
    this.sweep(ts);
    let entry = this.entries.get(pid);
    if (!entry || !entry.complete) {
      const read = readProcess(this.procRoot, pid);
      const merged: Entry = {
        ppid: read.ppid ?? entry?.ppid ?? fallbackPpid,
        exe: read.exe ?? entry?.exe ?? null,
        cmdline: read.cmdline ?? entry?.cmdline ?? null,
        exitedTs: entry?.exitedTs ?? null,
        // Once /proc has been asked and the process is gone, asking again cannot help.
        complete: true,
      };
      entry = merged;
    }
    this.put(pid, entry);
    return { ppid: entry.ppid ?? fallbackPpid, exe: entry.exe, cmdline: entry.cmdline };
  }

  /** Drops processes whose grace period has passed, at most once per second of event time. */
  sweep(ts: number): void {
    if (ts - this.lastSweepTs < 1e9) return;
    this.lastSweepTs = ts;
    for (const [pid, entry] of this.entries) {
      if (entry.exitedTs !== null && ts - entry.exitedTs > this.graceNs) this.entries.delete(pid);
    }
  }

  /** Whether the table still holds the pid (for tests and for dropping emitted-fact state). */
  has(pid: number): boolean {
    return this.entries.has(pid);
  }

  private put(pid: number, entry: Entry): void {
    this.entries.delete(pid);
    this.entries.set(pid, entry);
    if (this.entries.size > this.maxEntries) {
      // Oldest-touched first; an exited entry would have been swept anyway.
      const oldest = this.entries.keys().next().value as number;
      this.entries.delete(oldest);
    }
  }
}
