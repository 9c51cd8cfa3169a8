// /proc/self/mountinfo, parsed: where cgroup v2 and tracefs are mounted. Never hard-code
// /sys/fs/cgroup: hybrid systems (like these VMs) mount v2 at /sys/fs/cgroup/unified.
import { readFileSync } from 'node:fs';

export interface MountEntry {
  mountId: number;
  parentId: number;
  root: string;
  mountPoint: string;
  options: string;
  fsType: string;
  source: string;
  superOptions: string;
}

/** Undoes the kernel's octal escaping of space, tab, newline and backslash in paths. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (fields.length < 10 || sep < 0 || fields.length < sep + 3) continue;
    out.push({
      mountId: Number(fields[0]),
      parentId: Number(fields[1]),
      root: unescape(fields[3]),
      mountPoint: unescape(fields[4]),
      options: fields[5],
      fsType: fields[sep + 1],
      source: unescape(fields[sep + 2]),
      superOptions: fields[sep + 3] ?? '',
    });
  }
  return out;
}

/** The mount point of the cgroup v2 hierarchy (the shortest path if mounted twice). */
export function cgroup2MountPoint(entries: MountEntry[]): string | null {
  const v2 = entries.filter((e) => e.fsType === 'cgroup2').map((e) => e.mountPoint);
  v2.sort((a, b) => a.length - b.length);
  return v2[0] ?? null;
}

export function tracefsMountPoints(entries: MountEntry[]): string[] {
  return entries.filter((e) => e.fsType === 'tracefs').map((e) => e.mountPoint);
}

export function readMountinfo(): MountEntry[] {
  try {
    return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return [];
  }
}
