// passwd/group parsing and reload, over test/fixtures/enrich/etc and a temporary copy.
import { cpSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { parseIdFile, UserDb } from '../../src/enrich/users';

const ETC = fileURLToPath(new URL('../fixtures/enrich/etc', import.meta.url));

describe('parseIdFile', () => {
  test('skips comments, blanks, NIS and malformed lines; the first entry for an id wins', () => {
    const names = parseIdFile('root:x:0:0::/root:/bin/bash\n# c\n\n+nis::::::\nbad\nx:x:notanumber:0\ntoor:x:0:0::/:/bin/sh\n');
    expect([...names]).toEqual([[0, 'root']]);
  });
  test('group lines have four fields', () => {
    expect(parseIdFile('users:x:100:alice,bob\n').get(100)).toBe('users');
  });
});

describe('UserDb', () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  test('names from the fixture /etc', () => {
    const db = new UserDb({ etcRoot: ETC, now: () => 0 });
    expect(db.userName(0)).toBe('root');
    expect(db.userName(1000)).toBe('alice');
    expect(db.userName(33)).toBe('www-data');
    expect(db.userName(4242)).toBeNull();
    expect(db.groupName(100)).toBe('users');
    expect(db.groupName(65534)).toBe('nogroup');
  });

  test('a missing /etc gives no names, no error', () => {
    const db = new UserDb({ etcRoot: '/nonexistent-sockscope', now: () => 0 });
    expect(db.userName(0)).toBeNull();
  });

  test('reloads when the file changes, checking at most once per interval', () => {
    dir = mkdtempSync(join(tmpdir(), 'sockscope-enrich-users-'));
    cpSync(ETC, dir, { recursive: true });
    let now = 0;
    const db = new UserDb({ etcRoot: dir, now: () => now, checkEveryMs: 1000 });
    expect(db.userName(1001)).toBeNull();

    writeFileSync(join(dir, 'passwd'), 'root:x:0:0::/root:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/sh\n');
    utimesSync(join(dir, 'passwd'), new Date(), new Date(Date.now() + 5000)); // a distinct mtime
    now = 500;
    expect(db.userName(1001)).toBeNull(); // not checked yet: lookups stay syscall-free
    now = 1500;
    expect(db.userName(1001)).toBe('bob');
    expect(db.userName(1000)).toBeNull(); // alice is gone from the new file
  });
});
