// favourDrainThread against a stand-in for /proc/self/autogroup (a file: the kernel's takes
// a nice value and shows "/autogroup-N nice V"; the live test reads the real one).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DRAIN_AUTOGROUP_NICE, favourDrainThread, parseAutogroupNice } from '../../src/live/drain-priority';

const dir = mkdtempSync(join(tmpdir(), 'sockscope-autogroup-'));
const file = (text: string) => {
  const p = join(dir, `ag-${Math.random().toString(36).slice(2)}`);
  writeFileSync(p, text);
  return p;
};

describe('drain priority (autogroup nice)', () => {
  it('parses the kernel line', () => {
    expect(parseAutogroupNice('/autogroup-8123 nice 0\n')).toBe(0);
    expect(parseAutogroupNice('/autogroup-1 nice -12\n')).toBe(-12);
    expect(parseAutogroupNice('garbage')).toBeNull();
  });

  it('raises a lower group and puts the old value back once', () => {
    const p = file('/autogroup-42 nice 3\n');
    const undo = favourDrainThread(p);
    expect(readFileSync(p, 'utf8')).toBe(String(DRAIN_AUTOGROUP_NICE));
    undo();
    expect(readFileSync(p, 'utf8')).toBe('3');
    writeFileSync(p, 'changed since');
    undo();
    expect(readFileSync(p, 'utf8')).toBe('changed since');
  });

  it('leaves a group that is already as high alone', () => {
    const p = file('/autogroup-42 nice -10\n');
    favourDrainThread(p)();
    expect(readFileSync(p, 'utf8')).toBe('/autogroup-42 nice -10\n');
  });

  it('does nothing, and does not throw, without an autogroup file', () => {
    expect(() => favourDrainThread(join(dir, 'missing'))()).not.toThrow();
  });
});
