// cgroup id -> cgroup v2 path. bpf_get_current_cgroup_id() returns the kernfs id of the
// task's v2 cgroup, which is the inode number of that cgroup's directory under the v2
// mount. The kernel offers no reverse lookup from user space without
// open_by_handle_at(2) (not reachable from Node), so the tree is walked and every
// directory's inode remembered; cgroups created during capture are also learned from the
// kernel's cgroup_mkdir records (learn()), which a walk could miss entirely. Where v2 is
// mounted differs (here /sys/fs/cgroup/unified, hybrid mode; /sys/fs/cgroup on unified
// systems), so it is read from mountinfo.
import { readdirSync, readFileSync, statSync } from 'node:fs';

/** The kernel escapes space, tab, newline and backslash in mountinfo paths as \ooo. */
export function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export interface CgroupMount {
  mountPoint: string;
  /** The part of the hierarchy this mount shows ("/" unless bind-mounted, e.g. inside a
   * container with a private cgroup namespace view). */
  root: string;
}

/** cgroup2 mounts in /proc/PID/mountinfo text. Line format (proc(5)):
 * `id parent maj:min root mountpoint options [optional fields...] - fstype source superopts`.
 * The optional fields vary in number, so the filesystem type is found after the lone "-". */
export function parseCgroup2Mounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (sep < 0 || fields.length < sep + 2) continue;
    if (fields[sep + 1] !== 'cgroup2') continue;
    mounts.push({ root: unescapeMountPath(fields[3]), mountPoint: unescapeMountPath(fields[4]) });
  }
  return mounts;
}

/** The mount that shows the whole v2 hierarchy (root "/"), the shortest path if several. */
export function pickCgroup2Mount(mounts: CgroupMount[]): string | null {
  const full = mounts.filter((m) => m.root === '/');
  const pool = full.length > 0 ? full : mounts;
  const sorted = [...pool].sort((a, b) => a.mountPoint.length - b.mountPoint.length);
  return sorted[0]?.mountPoint ?? null;
}

/** Finds the v2 mount of the current mount namespace, or null (pure v1 or no /proc). */
export function findCgroup2Mount(procRoot = '/proc'): string | null {
  try {
    return pickCgroup2Mount(parseCgroup2Mounts(readFileSync(`${procRoot}/self/mountinfo`, 'utf8')));
  } catch {
    return null;
  }
}

export interface CgroupResolverOptions {
  /** Absolute path of the v2 mount to walk. */
  mountPoint: string;
  /** Clock in ms, for rate-limiting walks. */
  now: () => number;
  /** A miss triggers a new walk at most this often. */
  rewalkEveryMs?: number;
  /** Bounds one walk: directories visited and depth. */
  maxDirs?: number;
  maxDepth?: number;
  /** Bounds the id -> path cache. */
  maxCached?: number;
}

export class CgroupResolver {
  private readonly opts: Required<CgroupResolverOptions>;
  /** id -> path relative to the mount ("/" for the root). Insertion order = age. */
  private readonly paths = new Map<number, string>();
  private lastWalkMs = -Infinity;
  walks = 0;

  constructor(opts: CgroupResolverOptions) {
    this.opts = { rewalkEveryMs: 1000, maxDirs: 50_000, maxDepth: 32, maxCached: 50_000, ...opts };
  }

  /** The v2 path of a cgroup id, or null if it is not (or no longer) in the tree. A miss
   * walks the tree again, but at most once per `rewalkEveryMs`. */
  resolve(cgroupId: number): string | null {
    const hit = this.paths.get(cgroupId);
    if (hit !== undefined) return hit;
    const t = this.opts.now();
    if (t - this.lastWalkMs < this.opts.rewalkEveryMs) return null;
    this.lastWalkMs = t;
    this.walk();
    return this.paths.get(cgroupId) ?? null;
  }

  /** A path known without a walk: the kernel reported the cgroup's creation. */
  learn(cgroupId: number, path: string): void {
    this.remember(cgroupId, path);
  }

  /** Breadth-first over directories, so a bounded walk covers the shallow (and most
   * populated) levels first. Entries of cgroups that vanished are kept: kernfs ids are not
   * reused, and a flow of a short-lived container still deserves its path. */
  private walk(): void {
    this.walks++;
    const { mountPoint, maxDirs, maxDepth } = this.opts;
    const queue: Array<{ rel: string; depth: number }> = [{ rel: '', depth: 0 }];
    let visited = 0;
    for (let i = 0; i < queue.length && visited < maxDirs; i++) {
      const { rel, depth } = queue[i];
      const abs = mountPoint + rel;
      let ino: number;
      try {
        ino = statSync(abs).ino;
      } catch {
        continue; // removed while walking
      }
      visited++;
      this.remember(ino, rel === '' ? '/' : rel);
      if (depth >= maxDepth) continue;
      let children;
      try {
        children = readdirSync(abs, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const child of children) {
        if (child.isDirectory()) queue.push({ rel: `${rel}/${child.name}`, depth: depth + 1 });
      }
    }
  }

  private remember(id: number, path: string): void {
    if (this.paths.get(id) === path) return;
    this.paths.delete(id);
    this.paths.set(id, path);
    if (this.paths.size > this.opts.maxCached) {
      this.paths.delete(this.paths.keys().next().value as number);
    }
  }
}
