// mountinfo parsing and the id -> path walk, over real directories in a temporary tree
// (the walk only needs directories and their inode numbers, which any filesystem has).
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CgroupResolver, findCgroup2Mount, parseCgroup2Mounts, pickCgroup2Mount, unescapeMountPath } from '../../src/enrich/cgroups';

const PROC = fileURLToPath(new URL('../fixtures/enrich/proc', import.meta.url));

describe('mountinfo', () => {
  test('finds the hybrid-mode v2 mount of this kind of VM in the fixture', () => {
    expect(findCgroup2Mount(PROC)).toBe('/sys/fs/cgroup/unified');
  });

  test('unified mode, optional fields, and escaped paths', () => {
    const text = [
      '35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot',
      '36 24 0:31 / /my\\040cgroups\\011v2 rw shared:10 master:3 - cgroup2 none rw',
      '37 24 0:32 / /sys/fs/bpf rw shared:11 - bpf bpf rw',
    ].join('\n');
    expect(parseCgroup2Mounts(text)).toEqual([
      { root: '/', mountPoint: '/sys/fs/cgroup' },
      { root: '/', mountPoint: '/my cgroups\tv2' },
    ]);
    expect(pickCgroup2Mount(parseCgroup2Mounts(text))).toBe('/sys/fs/cgroup');
  });

  test('prefers a mount of the whole hierarchy over a bind mount of a subtree', () => {
    expect(
      pickCgroup2Mount([
        { root: '/system.slice/x.scope', mountPoint: '/a' },
        { root: '/', mountPoint: '/sys/fs/cgroup/unified' },
      ]),
    ).toBe('/sys/fs/cgroup/unified');
  });

  test('no cgroup2 (pure v1) or no /proc', () => {
    expect(parseCgroup2Mounts('31 23 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n')).toEqual([]);
    expect(findCgroup2Mount('/nonexistent-sockscope')).toBeNull();
  });

  test('backslash escape', () => {
    expect(unescapeMountPath('/a\\134b\\012c')).toBe('/a\\b\nc');
  });
});

describe('CgroupResolver', () => {
  let root: string;
  let now = 0;
  const ino = (rel: string) => statSync(root + rel).ino;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-enrich-cg-'));
    mkdirSync(join(root, 'system.slice', 'ssh.service'), { recursive: true });
    mkdirSync(join(root, 'libpod_parent', 'libpod-' + 'a'.repeat(64)), { recursive: true });
    now = 0;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('resolves ids to paths relative to the mount, the mount itself to "/"', () => {
    const r = new CgroupResolver({ mountPoint: root, now: () => now });
    expect(r.resolve(ino('/libpod_parent/libpod-' + 'a'.repeat(64)))).toBe('/libpod_parent/libpod-' + 'a'.repeat(64));
    expect(r.resolve(ino('/system.slice/ssh.service'))).toBe('/system.slice/ssh.service');
    expect(r.resolve(ino(''))).toBe('/');
    expect(r.walks).toBe(1);
  });

  test('a miss walks again, at most once per second; vanished cgroups stay known', () => {
    const r = new CgroupResolver({ mountPoint: root, now: () => now });
    expect(r.resolve(ino('/system.slice'))).toBe('/system.slice');
    mkdirSync(join(root, 'system.slice', 'new.scope'));
    const fresh = ino('/system.slice/new.scope');
    now = 500;
    expect(r.resolve(fresh)).toBeNull(); // too soon after the last walk
    expect(r.resolve(fresh)).toBeNull();
    expect(r.walks).toBe(1);
    now = 1500;
    expect(r.resolve(fresh)).toBe('/system.slice/new.scope');
    expect(r.walks).toBe(2);

    rmSync(join(root, 'system.slice', 'new.scope'), { recursive: true });
    expect(r.resolve(fresh)).toBe('/system.slice/new.scope');
  });

  test('a walk is bounded in directories and depth', () => {
    let deep = root;
    for (let i = 0; i < 10; i++) mkdirSync((deep = join(deep, `d${i}`)));
    const shallow = new CgroupResolver({ mountPoint: root, now: () => now, maxDepth: 3 });
    expect(shallow.resolve(statSync(deep).ino)).toBeNull();
    expect(shallow.resolve(ino('/d0/d1/d2'))).toBe('/d0/d1/d2');

    const few = new CgroupResolver({ mountPoint: root, now: () => now, maxDirs: 2 });
    few.resolve(-1);
    now = 5000;
    // Breadth-first: the root and one child were visited, nothing deeper.
    expect(few.resolve(ino('/d0/d1'))).toBeNull();
  });
});
