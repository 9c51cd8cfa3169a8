// Classic `tp/<category>/<name>` attachment reads the tracepoint id from tracefs, which a
// freshly booted machine may not have mounted (/sys/kernel/tracing is an empty directory).
// libbpf 1.1 uses /sys/kernel/debug/tracing when that exists, else /sys/kernel/tracing.
import { existsSync } from 'node:fs';
import { libbpf } from './libbpf';

export const TRACEFS = '/sys/kernel/tracing';
const DEBUGFS_TRACING = '/sys/kernel/debug/tracing';

/** The tracefs directory libbpf will use, if its events are visible. */
export function tracefsEventsDir(): string | null {
  if (existsSync(`${DEBUGFS_TRACING}/events`)) return `${DEBUGFS_TRACING}/events`;
  if (existsSync(`${TRACEFS}/events`)) return `${TRACEFS}/events`;
  return null;
}

/**
 * Mounts tracefs at /sys/kernel/tracing when it is not mounted yet. Returns true when the
 * events directory is available afterwards; never throws (the attach that needs it
 * reports the failure with the tracepoint's name).
 */
export function ensureTracefs(): boolean {
  if (tracefsEventsDir()) return true;
  if (!existsSync(TRACEFS)) return false;
  const { libc } = libbpf();
  libc.mount('nodev', TRACEFS, 'tracefs', 0, null);
  return tracefsEventsDir() !== null;
}

/** True when the tracepoint `category:name` exists in tracefs (null: tracefs not visible). */
export function tracefsHasEvent(category: string, name: string): boolean | null {
  const dir = tracefsEventsDir();
  if (!dir) return null;
  return existsSync(`${dir}/${category}/${name}`);
}
