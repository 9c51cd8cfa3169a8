// favourDrainThread against a stand-in for /proc/self (a directory with `stat` and
// `autogroup` files; the live test reads the real ones).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DRAIN_AUTOGROUP_NICE, favourDrainThread, parseAutogroupNice, sessionOf } from '../../src/live/drain-priority';

const root = mkdtempSync(join(tmpdir(), 'sockscope-proc-'));
let n = 0;
/** A fake /proc/PID for pid 100 in session `sid`, its autogroup line `autogroup`. */
function proc(sid: number, autogroup: string | null): string {
  const dir = join(root, String(n++));
  mkdirSync(dir);
  writeFileSync(join(dir, 'stat'), `100 (node (x) y) S 1 100 ${sid} 0 -1 4194560 2954 0 0 0\n`);
  if (autogroup !== null) writeFileSync(join(dir, 'autogroup'), autogroup);
  return dir;
}

describe('drain priority (autogroup nice)', () => {
  it('parses the kernel lines', () => {
    expect(parseAutogroupNice('/autogroup-8123 nice 0\n')).toBe(0);
    expect(parseAutogroupNice('/autogroup-1 nice -12\n')).toBe(-12);
    expect(parseAutogroupNice('garbage')).toBeNull();
    expect(sessionOf('4242 (a) b) c) R 1 4242 4240 34816 4242 4194304')).toBe(4240);
  });

  it('raises the group of a session leader', () => {
    const p = proc(100, '/autogroup-42 nice 3\n');
    expect(favourDrainThread(p, 100)).toBe('raised');
    expect(readFileSync(join(p, 'autogroup'), 'utf8')).toBe(String(DRAIN_AUTOGROUP_NICE));
  });

  it("leaves a shell's session alone", () => {
    const p = proc(99, '/autogroup-42 nice 0\n');
    expect(favourDrainThread(p, 100)).toBe('shared session');
    expect(readFileSync(join(p, 'autogroup'), 'utf8')).toBe('/autogroup-42 nice 0\n');
  });

  it('leaves a group that is already as high alone', () => {
    const p = proc(100, '/autogroup-42 nice -10\n');
    expect(favourDrainThread(p, 100)).toBe('already high');
    expect(readFileSync(join(p, 'autogroup'), 'utf8')).toBe('/autogroup-42 nice -10\n');
  });

  it('does nothing, and does not throw, without autogroups', () => {
    expect(favourDrainThread(proc(100, null), 100)).toBe('unavailable');
    expect(favourDrainThread(join(root, 'missing'), 100)).toBe('unavailable');
  });
});
