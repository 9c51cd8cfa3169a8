// /proc parsing and the process table, over the fixture tree in test/fixtures/enrich/proc.
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parseCmdline, parseStatPpid, ProcessTable, readProcess } from '../../src/enrich/process';

const PROC = fileURLToPath(new URL('../fixtures/enrich/proc', import.meta.url));
const S = 1e9;

describe('parseStatPpid', () => {
  test.each([
    ['plain', '123 (nginx) S 1 123 123 0 -1', 1],
    ['comm with spaces', '123 (Web Content) S 4567 123 123 0 -1', 4567],
    ['comm with parens and a fake field', '123 (a) S 99 (b) R 7 7 7', 7],
    ['comm that is only ")"', '123 ()) S 42 123 123', 42],
    ['pid 1 has ppid 0', '1 (systemd) S 0 1 1 0 -1', 0],
  ])('%s', (_name, stat, want) => {
    expect(parseStatPpid(stat)).toBe(want);
  });

  test('garbage gives null, not NaN', () => {
    expect(parseStatPpid('no parens here')).toBeNull();
    expect(parseStatPpid('12 (x)')).toBeNull();
  });
});

describe('parseCmdline', () => {
  test('NUL-separated arguments become one line', () => {
    expect(parseCmdline(Buffer.from('curl\0-s\0http://[::1]:8080/\0'))).toBe('curl -s http://[::1]:8080/');
  });
  test('empty (kernel thread, zombie) is unknown', () => {
    expect(parseCmdline(Buffer.alloc(0))).toBeNull();
    expect(parseCmdline(Buffer.from('\0'))).toBeNull();
  });
  test('a process that rewrote its argv without NULs', () => {
    expect(parseCmdline(Buffer.from('nginx: worker process'))).toBe('nginx: worker process');
  });
  test('bounded', () => {
    expect(parseCmdline(Buffer.from('x'.repeat(100_000)))!.length).toBe(4096);
  });
});

describe('readProcess (fixture /proc)', () => {
  test('exe, cmdline and ppid of a live process', () => {
    expect(readProcess(PROC, 4242)).toEqual({
      alive: true,
      ppid: 4000,
      exe: '/usr/bin/python3.11',
      cmdline: '/usr/bin/python3 -m http.server 8080',
    });
  });
  test('a kernel thread has no exe and no cmdline', () => {
    expect(readProcess(PROC, 4300)).toEqual({ alive: true, ppid: 2, exe: null, cmdline: null });
  });
  test('a gone process', () => {
    expect(readProcess(PROC, 999999).alive).toBe(false);
  });
});

describe('ProcessTable', () => {
  const exec = (pid: number, ts: number, filename = '/usr/bin/curl') =>
    ({ type: 'proc-exec', ts, pid, ppid: 77, uid: 0, comm: 'curl', filename }) as const;

  test('first sight reads /proc', () => {
    const t = new ProcessTable({ procRoot: PROC });
    expect(t.lookup(4242, 1 * S)).toEqual({ ppid: 4000, exe: '/usr/bin/python3.11', cmdline: '/usr/bin/python3 -m http.server 8080' });
  });

  test('exec of a process already gone from /proc falls back to the kernel filename', () => {
    const t = new ProcessTable({ procRoot: PROC });
    t.onExec(exec(5000, 1 * S));
    expect(t.lookup(5000, 1 * S)).toEqual({ ppid: 77, exe: '/usr/bin/curl', cmdline: null });
  });

  test('exec of a process already gone from /proc keeps the argv the kernel read', () => {
    const t = new ProcessTable({ procRoot: PROC });
    t.onExec({ ...exec(5001, 1 * S), cmdline: 'curl -s http://x' });
    expect(t.lookup(5001, 1 * S)).toEqual({ ppid: 77, exe: '/usr/bin/curl', cmdline: 'curl -s http://x' });
  });

  test('a live process: /proc wins over the argv of the exec record (it shows a retitled command line)', () => {
    const t = new ProcessTable({ procRoot: PROC });
    t.onExec({ ...exec(4242, 1 * S, '/usr/bin/python3'), cmdline: 'python3 old' });
    expect(t.lookup(4242, 1 * S).cmdline).toBe('/usr/bin/python3 -m http.server 8080');
  });

  test('facts outlive the process for the grace period, then go', () => {
    const t = new ProcessTable({ procRoot: PROC, graceNs: 10 * S });
    t.onExec(exec(5000, 1 * S));
    t.onExit({ type: 'proc-exit', ts: 2 * S, pid: 5000 });
    expect(t.lookup(5000, 11 * S).exe).toBe('/usr/bin/curl');
    t.sweep(13 * S);
    expect(t.has(5000)).toBe(false);
    // /proc has nothing either: unknown, with the ppid the kernel reported.
    expect(t.lookup(5000, 13 * S, 77)).toEqual({ ppid: 77, exe: null, cmdline: null });
  });

  test('a fork inherits the known parent image without reading /proc', () => {
    const t = new ProcessTable({ procRoot: PROC });
    t.lookup(4242, 1 * S);
    t.onFork({ type: 'proc-fork', ts: 2 * S, pid: 6000, ppid: 4242, comm: 'python3' });
    expect(t.lookup(6000, 2 * S)).toEqual({ ppid: 4242, exe: '/usr/bin/python3.11', cmdline: '/usr/bin/python3 -m http.server 8080' });
  });

  test('a fork of a parent not yet known reads the parent: a worker gone from /proc is still named', () => {
    const t = new ProcessTable({ procRoot: PROC });
    // 6001 has no /proc entry (a forked worker that served one connection and exited).
    t.onFork({ type: 'proc-fork', ts: 1 * S, pid: 6001, ppid: 4242, comm: 'python3' });
    expect(t.lookup(6001, 2 * S)).toEqual({ ppid: 4242, exe: '/usr/bin/python3.11', cmdline: '/usr/bin/python3 -m http.server 8080' });
  });

  test('a fork of a parent without an image (a kernel thread) still reads the child on use', () => {
    const t = new ProcessTable({ procRoot: PROC });
    t.onFork({ type: 'proc-fork', ts: 1 * S, pid: 4242, ppid: 4300, comm: 'python3' });
    expect(t.lookup(4242, 2 * S).exe).toBe('/usr/bin/python3.11');
  });

  test('exec replaces what was known about the pid', () => {
    const t = new ProcessTable({ procRoot: PROC });
    t.onFork({ type: 'proc-fork', ts: 1 * S, pid: 6000, ppid: 4242, comm: 'sh' });
    t.onExec(exec(6000, 2 * S, '/usr/bin/wget'));
    expect(t.lookup(6000, 2 * S).exe).toBe('/usr/bin/wget');
  });

  test('bounded: the least recently touched entries go first', () => {
    const t = new ProcessTable({ procRoot: PROC, maxEntries: 100 });
    for (let pid = 10_000; pid < 10_300; pid++) t.onExec(exec(pid, 1 * S));
    expect(t.size).toBe(100);
    expect(t.has(10_000)).toBe(false);
    expect(t.has(10_299)).toBe(true);
  });
});
